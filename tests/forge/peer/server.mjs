// The real @storacha/upload-api (its published test context: real ucanto
// server logic, in-memory stores, mock storage nodes on real HTTP ports)
// served over HTTP for moto_forge's Forge tests.
//
// Input (environment): FORGE_SPACE_KEY and FORGE_AGENT_KEY, moto_forge's
// signer strings; the peer provisions that space for that agent (as an
// account would) before it starts listening.
// Output: one JSON line on stdout: {url, did, key} (the service's did:web and
// the did:key its receipts are signed with).
import http from 'node:http'
import { createContext } from '@storacha/upload-api/test/context'
import { provisionProvider } from '@storacha/upload-api/test/utils'
import { createServer } from '@storacha/upload-api'
import { ed25519 } from '@ucanto/principal'
import { Absentee } from '@ucanto/principal'
import * as Digest from 'multiformats/hashes/digest'
import * as AssertCaps from '@storacha/capabilities/assert'
import { base58btc } from 'multiformats/bases/base58'

const context = await createContext({ http, requirePaymentPlan: false })

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
const server = createServer(context)

const space = ed25519.parse(process.env.FORGE_SPACE_KEY)
const agent = ed25519.parse(process.env.FORGE_AGENT_KEY)
const account = Absentee.from({ id: 'did:mailto:test.storacha.network:moto-forge' })
const provisioned = await provisionProvider({
  service: context.id,
  agent,
  space,
  account,
  connection: context.connection,
})
if (provisioned.out.error) {
  console.error('provisioning failed', provisioned.out.error)
  process.exit(1)
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
  }) + '\n')
})
