// Issues and verifies UCANs with the real @ucanto packages, for moto_forge's
// interop tests. Reads one JSON request on stdin, writes one JSON answer.
//   {"op": "issue", "seed": "<hex>", "audience": "did:...", "capabilities": [...],
//    "expiration": 123, "nonce": "n", "facts": [...]}
//   {"op": "verify", "block": "<base64 DAG-CBOR UCAN>"}
import { delegate } from '@ucanto/core'
import * as Delegation from '@ucanto/core/delegation'
import { ed25519, Verifier } from '@ucanto/principal'
import * as UCAN from '@ipld/dag-ucan'
import { CID } from 'multiformats/cid'

const input = JSON.parse(await new Promise((resolve) => {
  let data = ''
  process.stdin.on('data', (c) => { data += c })
  process.stdin.on('end', () => resolve(data))
}))

const revive = (value) => {
  if (Array.isArray(value)) return value.map(revive)
  if (value && typeof value === 'object') {
    if (typeof value['/'] === 'string') return CID.parse(value['/'])
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]))
  }
  return value
}

if (input.op === 'issue') {
  const issuer = await ed25519.derive(Buffer.from(input.seed, 'hex'))
  const delegation = await delegate({
    issuer,
    audience: { did: () => input.audience },
    capabilities: revive(input.capabilities),
    expiration: input.expiration,
    nonce: input.nonce,
    facts: revive(input.facts ?? []),
  })
  process.stdout.write(JSON.stringify({
    cid: delegation.cid.toString(),
    block: Buffer.from(delegation.root.bytes).toString('base64'),
    signer: ed25519.format(issuer),
    did: issuer.did(),
  }))
} else if (input.op === 'verify') {
  const ucan = UCAN.decode(Buffer.from(input.block, 'base64'))
  const verifier = Verifier.parse(ucan.issuer.did())
  const ok = await UCAN.verifySignature(ucan, verifier)
  process.stdout.write(JSON.stringify({ ok, issuer: ucan.issuer.did(), audience: ucan.audience.did() }))
}

if (input.op === 'extract') {
  const result = await Delegation.extract(Buffer.from(input.car, 'base64'))
  if (result.error) throw result.error
  const delegation = result.ok
  const ok = await UCAN.verifySignature(delegation.data, Verifier.parse(delegation.issuer.did()))
  process.stdout.write(JSON.stringify({
    ok,
    cid: delegation.cid.toString(),
    issuer: delegation.issuer.did(),
    audience: delegation.audience.did(),
    capabilities: delegation.capabilities.map((c) => ({ with: c.with, can: c.can })),
    expiration: delegation.expiration === Infinity ? null : delegation.expiration,
  }))
}

// Agent messages and receipts (ucanto/message@7.0.0).
if (input.op === 'message') {
  const { invoke, Message, Receipt } = await import('@ucanto/core')
  const CARTransport = await import('@ucanto/transport/car')
  const issuer = await ed25519.derive(Buffer.from(input.seed, 'hex'))
  const invocations = []
  for (const spec of input.invocations) {
    invocations.push(invoke({
      issuer,
      audience: { did: () => spec.audience },
      capability: revive(spec.capability),
      expiration: spec.expiration,
      nonce: spec.nonce,
    }))
  }
  const receipts = []
  if (input.receipt) {
    const built = await invocations[0].buildIPLDView()
    receipts.push(await Receipt.issue({ issuer, ran: built, result: revive(input.receipt.result) }))
  }
  const message = await Message.build({ invocations, receipts })
  const request = CARTransport.request.encode(message)
  process.stdout.write(JSON.stringify({
    car: Buffer.from(request.body).toString('base64'),
    root: message.root.cid.toString(),
    invocations: message.invocationLinks.map(String),
    receipts: receipts.map((r) => r.root.cid.toString()),
  }))
}

if (input.op === 'read-message') {
  const CARTransport = await import('@ucanto/transport/car')
  const message = await CARTransport.request.decode({ headers: {}, body: Buffer.from(input.car, 'base64') })
  const out = []
  for (const invocation of message.invocations) {
    const ok = await UCAN.verifySignature(invocation.data, Verifier.parse(invocation.issuer.did()))
    out.push({
      ok,
      cid: invocation.cid.toString(),
      issuer: invocation.issuer.did(),
      audience: invocation.audience.did(),
      capabilities: invocation.capabilities.map((c) => ({ with: c.with, can: c.can })),
      proofs: invocation.proofs.map((p) => p.cid.toString()),
    })
  }
  const receipts = []
  for (const [, receipt] of message.receipts) {
    const verified = await receipt.verifySignature(Verifier.parse(receipt.issuer.did()))
    receipts.push({ ok: !verified.error, ran: receipt.ran.link().toString(), out: receipt.out })
  }
  process.stdout.write(JSON.stringify({ root: message.root.cid.toString(), invocations: out, receipts }))
}
