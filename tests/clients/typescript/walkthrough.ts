// The README walkthrough, driven by a client generated from the service's own OpenAPI document (openapi-typescript
// types + openapi-fetch): no raw URL, no cast, no hand-written type. The token URL comes from the document's OAuth2
// scheme. Usage: node dist/walkthrough.js <base URL> <openapi.json>; exits 1 naming the first step that went wrong.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";

type Problem = components["schemas"]["ProblemResponse"];
type EntryRequest = components["schemas"]["EntryRequestBody"];

const [baseUrl, documentPath] = process.argv.slice(2);
assert.ok(baseUrl && documentPath, "usage: walkthrough.js <base URL> <openapi.json>");
const document = JSON.parse(readFileSync(documentPath, "utf8"));
const tokenUrl = new URL(document.components.securitySchemes.oauth2.flows.clientCredentials.tokenUrl, baseUrl);

async function tokenOf(clientId: string, clientSecret: string): Promise<string> {
  const response = await fetch(tokenUrl, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret }),
  });
  assert.equal(response.status, 200, `token for ${clientId}`);
  const body: { access_token: string } = await response.json();
  return body.access_token;
}

const clientOf = async (id: string, secret: string) =>
  createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${await tokenOf(id, secret)}` } });
const admin = await clientOf("ledger-admin", "admin-secret");
const partner = await clientOf("demo-partner", "demo-secret");

const branch = 1;
const account = 100_000_000 + (Date.now() % 800_000_000);
const path = { branch, account };
const usd = (value: number) => ({ value, currency: "USD" });
const problemType = (problem: Problem) => problem.type.slice(problem.type.lastIndexOf("/") + 1);

// Open the account.
const opened = await admin.POST("/v1/accounts", { body: { branch, account, currency: "USD" } });
assert.equal(opened.response.status, 201, "open the account");
assert.equal(opened.data?.currency, "USD");

async function post(...entries: EntryRequest[]) {
  const { data, error, response } = await partner.POST("/v1/accounts/{branch}/{account}/batches", { params: { path }, body: { entries } });
  assert.equal(response.status, 201, `post ${entries.map(e => e.correlationId).join(", ")}: ${JSON.stringify(error)}`);
  assert.ok(data);
  return data;
}

const deposit = await post({ entryKind: "ledger", correlationId: "dep-1", entryType: 100, description: "Cash deposit", amount: usd(50_000) });
assert.equal(deposit.entries[0]?.direction, "CREDIT");
const purchase = await post({ entryKind: "ledger", correlationId: "pos-1", entryType: 998, description: "POS purchase", amount: usd(5_000) });
assert.equal(purchase.entries[0]?.direction, "DEBIT");
const hold = await post({ entryKind: "blocking", correlationId: "hold-1", entryType: 998, amount: usd(20_000) });
assert.equal(hold.entries[0]?.status, "PENDING");
await post({ entryKind: "unblocking", correlationId: "rel-1", unblocks: "hold-1", amount: usd(5_000) }); // a partial release
await post({ entryKind: "blocking", correlationId: "hold-2", entryType: 998, amount: usd(1_000) });
const removed = await partner.DELETE("/v1/accounts/{branch}/{account}/entries", { params: { path, query: { correlationId: "hold-2" } } });
assert.equal(removed.response.status, 204, "DELETE the pending hold-2");
await post({ entryKind: "reversal", correlationId: "rev-1", reverses: "pos-1" });

// Balances now, and as they stood right after the purchase.
const now = await partner.GET("/v1/accounts/{branch}/{account}/balances", { params: { path } });
const balance = (type: components["schemas"]["BalanceTypeName"], of = now.data) => of?.balances.find(b => b.type === type)?.value;
assert.deepEqual([balance("AVAILABLE"), balance("HELD")], [35_000, 15_000], "balances now");
const purchasedAt = purchase.entries[0]?.timestamp;
assert.ok(purchasedAt);
const then = await partner.GET("/v1/accounts/{branch}/{account}/balances", { params: { path, query: { at: purchasedAt } } });
assert.deepEqual([balance("AVAILABLE", then.data), balance("HELD", then.data)], [45_000, 0], "balances ?at= the purchase");

// Statement v1, two entries a page, to the end.
const ids: string[] = [];
let cursor: string | undefined;
for (let pages = 0; pages < 20; pages++) {
  const page = await partner.GET("/v1/entries", { params: { query: { branch, account, limit: 2, cursor } } });
  assert.equal(page.response.status, 200, "statement page");
  for (const entry of page.data?.entries ?? []) ids.push(entry.correlationId);
  cursor = page.data?.nextCursor ?? undefined;
  if (cursor === undefined) break;
}
assert.deepEqual(ids, ["dep-1", "pos-1", "hold-1", "rel-1", "hold-2", "rev-1"], "statement v1 paged to the end");

// Statement v2 with filters.
const v2 = await partner.GET("/v2/entries", { params: { query: { branch, account, status: "REMOVED" } } });
assert.deepEqual(v2.data?.entries.map(e => e.correlationId), ["hold-2"], "v2 status=REMOVED");
const reversals = await partner.GET("/v2/entries", { params: { query: { branch, account, entryKind: "reversal" } } });
assert.deepEqual(reversals.data?.entries.map(e => [e.correlationId, e.reverses, e.direction]), [["rev-1", "pos-1", "CREDIT"]], "v2 entryKind=reversal");

// A 409 and a 422, read as Problems.
const conflict = await partner.POST("/v1/accounts/{branch}/{account}/batches", {
  params: { path },
  body: { entries: [{ entryKind: "ledger", correlationId: "dep-1", entryType: 100, description: "Cash deposit", amount: usd(60_000) }] },
});
assert.equal(conflict.response.status, 409);
assert.ok(conflict.error);
assert.equal(problemType(conflict.error), "idempotency-conflict");
assert.deepEqual(conflict.error.conflictingFields, ["amount.value"]);
const declined = await partner.POST("/v1/accounts/{branch}/{account}/batches", {
  params: { path },
  body: { entries: [{ entryKind: "ledger", correlationId: "pos-2", entryType: 998, amount: usd(900_000) }] },
});
assert.equal(declined.response.status, 422);
assert.ok(declined.error);
assert.equal(problemType(declined.error), "insufficient-funds");
assert.equal(declined.error.entryIndex, 0);

console.log(`typescript walkthrough: ok (account ${branch}/${account}, ${ids.length} entries paged, balances ${balance("AVAILABLE")}/${balance("HELD")})`);
