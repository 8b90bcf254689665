// A space made the way a Storacha user makes one, with @storacha/client (npm), then
// delegated to moto_forge's agent: what `moto-forge space import` takes.
//
// Input (environment): FORGE_URL (the upload service, server.mjs), FORGE_DID (its
// DID), FORGE_EMAIL (the account to log in as), FORGE_AUDIENCE (moto_forge's agent
// DID), FORGE_OUT (where to write the delegation archive).
// Output: one JSON line on stdout: {space, delegation} (the new space's DID and the
// delegation's CID).
import fs from 'node:fs'
import { create } from '@storacha/client'
import { StoreMemory } from '@storacha/access/stores/store-memory'
import * as DID from '@ipld/dag-ucan/did'
import { connect } from '@ucanto/client'
import { CAR, HTTP } from '@ucanto/transport'

const url = new URL(process.env.FORGE_URL)
const service = DID.parse(process.env.FORGE_DID)
const connection = connect({ id: service, codec: CAR.outbound, channel: HTTP.open({ url, method: 'POST' }) })
const client = await create({
  store: new StoreMemory(),
  serviceConf: { access: connection, upload: connection, filecoin: connection, gateway: connection },
  receiptsEndpoint: new URL('/receipt/', url),
})

// Log in as the user does; the test peer's /test/confirm-email plays the click on the emailed link.
const email = process.env.FORGE_EMAIL
const login = client.login(email)
for (let attempt = 0; ; attempt++) {
  const clicked = await fetch(new URL(`/test/confirm-email?email=${encodeURIComponent(email)}`, url), { method: 'POST' })
  if (clicked.ok) break
  if (attempt > 100) throw new Error(`no login email to ${email} arrived`)
  await new Promise((resolve) => setTimeout(resolve, 100))
}
const account = await login

const space = await client.createSpace('moto-forge-imported', { account, skipGatewayAuthorization: true })
await client.setCurrentSpace(space.did())
const delegation = await client.createDelegation(
  { did: () => process.env.FORGE_AUDIENCE },
  ['space/blob/add', 'space/index/add', 'upload/add', 'upload/list', 'space/blob/list', 'space/info'],
  { expiration: Infinity },
)
const archive = await delegation.archive()
if (archive.error) throw archive.error
fs.writeFileSync(process.env.FORGE_OUT, archive.ok)
process.stdout.write(JSON.stringify({ space: space.did(), delegation: delegation.cid.toString() }) + '\n')
