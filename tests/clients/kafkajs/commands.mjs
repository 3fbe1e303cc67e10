// A partner's Kafka client, written with kafkajs and avsc from the ledger's .avsc files only: posts one POST_BATCH
// command (a deposit and a hold) to ledger.commands in Avro single-object encoding and prints the result it reads back
// from ledger.results as one JSON line. Usage: node commands.mjs <bootstrap> <schemas dir> <branch> <account>
import { readFileSync, readdirSync } from "node:fs";
import avro from "avsc";
import { Kafka, logLevel } from "kafkajs";

const [bootstrap, schemas, branch, account] = process.argv.slice(2);
const load = (file) => avro.Type.forSchema(JSON.parse(readFileSync(`${schemas}/${file}`, "utf8")));
const commandType = load("ledger-command.avsc");
// The reader schema this client was written against: the first released version. The ledger may write a later one
// (ledger-result.v2.avsc adds fields with defaults); the client finds the writer's schema by the message's
// fingerprint among the published versions and lets Avro resolve it into its own (docs/kafka.md, schema evolution).
const resultType = load("ledger-result.avsc");
const resultWriters = readdirSync(schemas).filter((f) => /^ledger-result(\.v\d+)?\.avsc$/.test(f)).map(load);

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
function unframe(type, writers, buffer) {
  const writer = buffer[0] === 0xc3 && buffer[1] === 0x01 && writers.find((w) => buffer.subarray(2, 10).equals(fingerprint(w)));
  if (!writer) throw new Error("not the single-object encoding of a published version of this schema");
  return type.fromBuffer(buffer.subarray(10), type.createResolver(writer));
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
      const result = unframe(resultType, resultWriters, message.value);
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
