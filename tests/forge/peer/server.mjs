// The real @storacha/upload-api (its published test context: real ucanto
// server logic, in-memory stores) served over HTTP for moto_forge's Forge tests.
//
// Two back ends:
// - default: the context's mock storage nodes on real HTTP ports and its
//   in-memory indexing-service mock (GET /claims answers from it);
// - Go stack (FORGE_PIRI_URL set): one real piri storage node and the real Go
//   indexing-service (tests/forge/gostack), this process playing the upload
//   service between them as sprue would.
//
// Input (environment): FORGE_SPACE_KEY and FORGE_AGENT_KEY, moto_forge's
// signer strings (FORGE_SPACE_KEY: none, one or more, comma-separated: the server's
// space and its tenants' spaces); the peer provisions each space for that agent
// (as an account would) before it starts listening. Besides the service (POST /)
// it serves GET /claims (the indexer's query), GET /receipt/TASK (receipts of
// tasks that finish later), GET /.well-known/did.json (its did:web document) and,
// for tests, POST /test/confirm-email?email= (clicks an emailed login link). For the Go stack also
// FORGE_UPLOAD_KEY (the did:key this service invokes piri and the indexer as),
// FORGE_PIRI_URL / FORGE_PIRI_KEY, FORGE_INDEXER_URL / FORGE_INDEXER_KEY /
// FORGE_INDEXER_DID (the indexer's did:web).
// Output: one JSON line on stdout: {url, did, key, piriIndexerProof?} (the
// service's DID, the did:key its receipts are signed with, and for the Go
// stack the indexer's claim/cache delegation to piri, in go-ucanto's
// delegation.Parse format).
import http from 'node:http'
import { createContext } from '@storacha/upload-api/test/context'
import { provisionProvider } from '@storacha/upload-api/test/utils'
import { BlobRetriever, RoutingService } from '@storacha/upload-api/test/external-service'
import { createServer, connect as connectService } from '@storacha/upload-api'
import { ed25519 } from '@ucanto/principal'
import { Absentee } from '@ucanto/principal'
import { connect } from '@ucanto/client'
import { Message } from '@ucanto/core'
import { CAR, HTTP } from '@ucanto/transport'
import { Client as IndexerClient } from '@storacha/indexing-service-client'
import * as Digest from 'multiformats/hashes/digest'
import * as AssertCaps from '@storacha/capabilities/assert'
import * as ClaimCaps from '@storacha/capabilities/claim'
import { base58btc } from 'multiformats/bases/base58'
import { base64 } from 'multiformats/bases/base64'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'

const goStack = Boolean(process.env.FORGE_PIRI_URL)
// The context's mock storage nodes answer a blob GET with write(), end() and at once
// destroy(): destroy() drops what the socket has not sent yet, so a blob larger than the
// socket's buffers arrives cut short (a chunked body without its end) whenever the client
// reads slower than the node writes. Their servers get responses whose destroy() waits
// until the response has been handed to the kernel.
const patientHttp = {
  ...http,
  createServer (...args) {
    const handler = args.pop()
    return http.createServer(...args, (request, response) => {
      response.destroy = function (error) {
        const destroy = http.ServerResponse.prototype.destroy
        if (error || this.writableFinished) return destroy.call(this, error)
        this.once('finish', () => destroy.call(this))
        return this
      }
      return handler(request, response)
    })
  }
}
const context = await createContext({ http: patientHttp, requirePaymentPlan: false })
let piriIndexerProof
if (goStack) {
  piriIndexerProof = await useGoStack(context)
} else {
  // The test context delegates assert/* to the indexing service's client with
  // ucanto's default expiration (30 s), so after half a minute every
  // space/index/add fails as Unauthorized. A long-running peer re-delegates it
  // without expiry.
  const indexer = context.indexingService.invocationConfig
  indexer.proofs = [
    await AssertCaps.assert.delegate({
      issuer: indexer.audience,
      audience: indexer.issuer,
      with: indexer.audience.did(),
      expiration: Infinity,
    }),
  ]
}
const server = createServer(context)
// The legacy web3.storage/* handlers call back into the service itself.
context.getServiceConnection = () => connectService({ id: context.id, channel: server })

const agent = ed25519.parse(process.env.FORGE_AGENT_KEY)
const account = Absentee.from({ id: 'did:mailto:test.storacha.network:moto-forge' })
// FORGE_SPACE_KEY may list several spaces (comma-separated): the server's own and its tenants'.
// Empty: nothing is provisioned (moto_forge logs in and provisions itself, or a space made
// with @storacha/client is delegated to it).
for (const key of (process.env.FORGE_SPACE_KEY ?? '').split(',').filter(Boolean)) {
  const provisioned = await provisionProvider({
    service: context.id,
    agent,
    space: ed25519.parse(key),
    account,
    connection: context.connection,
  })
  if (provisioned.out.error) {
    console.error('provisioning failed', provisioned.out.error)
    process.exit(1)
  }
}

const readAll = async (req) => {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  return new Uint8Array(Buffer.concat(chunks))
}

const httpServer = http.createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/') {
      const body = await readAll(req)
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]))
      const response = await server.request({ headers, body })
      res.writeHead(response.status ?? 200, response.headers)
      res.end(Buffer.from(response.body))
      return
    }
    const url = new URL(req.url, 'http://127.0.0.1')
    if (req.method === 'POST' && url.pathname === '/test/confirm-email') {
      // Test only: "click" the confirmation link the service emailed to ?email= (the
      // access/confirm invocation in it is executed, as the link's page does).
      const to = url.searchParams.get('email')
      const index = context.mail.emails.findIndex((mail) => mail.to === to)
      if (index < 0) {
        res.writeHead(404)
        res.end(`no email to ${to}`)
        return
      }
      const [mail] = context.mail.emails.splice(index, 1)
      await context.grantAccess(mail)
      res.writeHead(200)
      res.end()
      return
    }
    if (req.method === 'GET' && url.pathname.startsWith('/receipt/')) {
      // The receipts endpoint Storacha's clients poll (GET /receipt/TASK): an agent
      // message holding the task's receipt, once there is one (404 before).
      const task = CID.parse(url.pathname.slice('/receipt/'.length))
      const found = await context.agentStore.receipts.get(task)
      if (found.error) {
        res.writeHead(404)
        res.end()
        return
      }
      const message = await Message.build({ receipts: [found.ok] })
      const encoded = CAR.request.encode(message)
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' })
      res.end(Buffer.from(encoded.body))
      return
    }
    if (req.method === 'GET' && url.pathname === '/.well-known/did.json') {
      // The service's did:web document (W3C did:web), as a Storacha service serves it.
      const did = context.id.did()
      const method = `${did}#key`
      res.writeHead(200, { 'content-type': 'application/did+json' })
      res.end(JSON.stringify({
        '@context': ['https://www.w3.org/ns/did/v1'],
        id: did,
        verificationMethod: [{
          id: method,
          type: 'Ed25519VerificationKey2020',
          controller: did,
          publicKeyMultibase: context.id.toDIDKey().slice('did:key:'.length),
        }],
        assertionMethod: [method],
        authentication: [method],
      }))
      return
    }
    if (req.method === 'GET' && url.pathname === '/claims') {
      // The mock indexing service's query, as the real indexer's GET /claims answers it.
      const hashes = url.searchParams.getAll('multihash').map((text) => Digest.decode(base58btc.decode(text)))
      const result = await context.indexingService.queryClaims({ hashes })
      if (result.error) throw result.error
      const archive = await result.ok.archive()
      if (archive.error) throw archive.error
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' })
      res.end(Buffer.from(archive.ok))
      return
    }
    res.writeHead(404)
    res.end()
  } catch (error) {
    console.error(error)
    res.writeHead(500)
    res.end(String(error))
  }
})
httpServer.listen(0, '127.0.0.1', () => {
  const { port } = httpServer.address()
  process.stdout.write(JSON.stringify({
    url: `http://127.0.0.1:${port}`,
    did: context.id.did(),
    key: context.id.toDIDKey(),
    ...(piriIndexerProof ? { piriIndexerProof } : {}),
  }) + '\n')
})

/**
 * Point the context at the real Go services: piri as the only storage
 * provider (we hold its key, as its operator would, to delegate blob/allocate
 * and blob/accept to this service), the Go indexer for assert/index and
 * queries. Returns the indexer's claim/cache delegation to piri.
 */
async function useGoStack(context) {
  // The service's own name is a did:web nobody here can resolve; towards piri
  // and the indexer it acts through a did:key agent they delegate to.
  const uploadSigner = ed25519.parse(process.env.FORGE_UPLOAD_KEY)
  const piriSigner = ed25519.parse(process.env.FORGE_PIRI_KEY)
  const indexerSigner = ed25519.parse(process.env.FORGE_INDEXER_KEY).withDID(process.env.FORGE_INDEXER_DID)
  const indexerURL = new URL(process.env.FORGE_INDEXER_URL)
  const piri = {
    id: piriSigner,
    connection: connect({
      id: piriSigner,
      codec: CAR.outbound,
      channel: HTTP.open({ url: new URL(process.env.FORGE_PIRI_URL), method: 'POST' }),
    }),
  }
  context.storageProviders = [piri]
  context.maxReplicas = 0
  context.router = RoutingService.create(uploadSigner, [piri])
  const indexerConnection = connect({
    id: indexerSigner,
    codec: CAR.outbound,
    channel: HTTP.open({ url: indexerURL, method: 'POST' }),
  })
  const indexer = new IndexerClient({ serviceURL: indexerURL, servicePrincipal: indexerSigner, connection: indexerConnection })
  context.indexingService = {
    invocationConfig: {
      issuer: uploadSigner,
      with: indexerSigner.did(),
      audience: indexerSigner,
      proofs: [
        await AssertCaps.assert.delegate({
          issuer: indexerSigner,
          audience: uploadSigner,
          with: indexerSigner.did(),
          expiration: Infinity,
        }),
      ],
    },
    connection: indexerConnection,
    queryClaims: (query) => indexer.queryClaims(query),
  }
  context.blobRetriever = BlobRetriever.create(context.indexingService, context.claimsService)
  const cache = await ClaimCaps.cache.delegate({
    issuer: indexerSigner,
    audience: piriSigner,
    with: indexerSigner.did(),
    expiration: Infinity,
  })
  const archive = await cache.archive()
  if (archive.error) throw archive.error
  return CID.createV1(0x0202, identity.digest(archive.ok)).toString(base64)
}
