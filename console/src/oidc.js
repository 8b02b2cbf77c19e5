// Production sign-in: OpenID Connect authorization code flow with PKCE (RFC 7636) against the configured issuer
// (GET /v1/sign-in names it and the console's client id). A public client: no secret in the browser. The access
// token (a JWT the API verifies against the provider's JWKS) is kept in sessionStorage like a dev token.
import { setToken } from './api.js'

const FLOW_KEY = 'jiehu.oidc'

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function randomString() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)))
}

async function discovery(issuer) {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)
  if (!response.ok) throw new Error('身份认证服务暂时无法访问。')
  return response.json()
}

export function redirectUri() {
  return `${location.origin}/console/signin/callback`
}

export async function startOidc(oidc) {
  const config = await discovery(oidc.issuer)
  const verifier = randomString()
  const state = randomString()
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)))
  sessionStorage.setItem(FLOW_KEY, JSON.stringify({ verifier, state, token_endpoint: config.token_endpoint }))
  const query = new URLSearchParams({ response_type: 'code', client_id: oidc.client_id, redirect_uri: redirectUri(),
    scope: oidc.scope, state, code_challenge: challenge, code_challenge_method: 'S256' })
  if (oidc.audience) query.set('audience', oidc.audience)
  location.assign(`${config.authorization_endpoint}?${query}`)
}

export async function finishOidc(oidc, search) {
  const params = new URLSearchParams(search)
  const flow = JSON.parse(sessionStorage.getItem(FLOW_KEY) || 'null')
  sessionStorage.removeItem(FLOW_KEY)
  if (params.get('error')) throw new Error(`登录未完成：${params.get('error_description') || params.get('error')}`)
  if (!flow || params.get('state') !== flow.state) throw new Error('登录状态不一致，请重新登录。')
  const response = await fetch(flow.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: params.get('code'),
      redirect_uri: redirectUri(), client_id: oidc.client_id, code_verifier: flow.verifier }),
  })
  if (!response.ok) throw new Error('登录失败：身份认证服务拒绝了授权码。')
  const tokens = await response.json()
  setToken(tokens.access_token)
}
