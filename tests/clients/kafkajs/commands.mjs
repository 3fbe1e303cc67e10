// A partner's Kafka client, written with kafkajs and avsc from the ledger's .avsc files only: posts one POST_BATCH
// command (a deposit and a hold) to ledger.commands in Avro single-object encoding and prints the result it reads back
// from ledger.results as one JSON line. Usage: node commands.mjs <bootstrap> <schemas dir> <branch> <account>
import { readFileSync } from "node:fs";
import avro from "avsc";
import { Kafka, logLevel } from "kafkajs";

const [bootstrap, schemas, branch, account] = process.argv.slice(2);
const load = (file) => avro.Type.forSchema(JSON.parse(readFileSync(`${schemas}/${file}`, "utf8")));
const commandType = load("ledger-command.avsc");
const resultType = load("ledger-result.avsc");

// CRC-64-AVRO (Rabin) of the schema's parsing canonical form: the single-object encoding's fingerprint.
const EMPTY = 0xc15d213aa4d7a795n;
const TABLE = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
  return fp;
});
function fingerprint(type) {
  let fp = EMPTY;
  for (const b of Buffer.from(JSON.stringify(type.schema()), "utf8")) fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(b)) & 0xffn)];
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(fp);
  return out;
}
const frame = (type, value) => Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprint(type), type.toBuffer(value)]);
function unframe(type, buffer) {
  if (buffer[0] !== 0xc3 || buffer[1] !== 0x01 || !buffer.subarray(2, 10).equals(fingerprint(type))) throw new Error("not this schema's single-object encoding");
  return type.fromBuffer(buffer.subarray(10));
}

const commandId = `kafkajs-${Date.now()}`;
const command = {
  commandId, kind: "POST_BATCH", branch: Number(branch), account: Number(account),
  entries: [
    { entryKind: "ledger", correlationId: "js-dep", entryType: 100, amount: 2500, currency: "USD", description: "from kafkajs" },
    { entryKind: "blocking", correlationId: "js-hold", entryType: 998, amount: 700, currency: "USD" },
  ],
};

const kafka = new Kafka({ brokers: bootstrap.split(","), clientId: "kafkajs-check", logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: `kafkajs-check-${Date.now()}` });
await consumer.connect();
await consumer.subscribe({ topic: "ledger.results", fromBeginning: true });
const answered = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("no result in 30 s")), 30_000);
  consumer.run({
    eachMessage: async ({ message }) => {
      const result = unframe(resultType, message.value);
      if (result.commandId !== commandId) return;
      clearTimeout(timer);
      resolve({ key: message.key.toString(), result });
    },
  });
});
const producer = kafka.producer();
await producer.connect();
await producer.send({ topic: "ledger.commands", messages: [{ key: `${branch}/${account}`, value: frame(commandType, command) }] });
const { key, result } = await answered;
console.log(JSON.stringify({ key, status: result.status, entries: result.entries, problem: result.problem }));
await producer.disconnect();
await consumer.disconnect();
