// Production sign-in: OpenID Connect authorization code flow with PKCE (RFC 7636) against the configured issuer
// (GET /v1/sign-in names it and the console's client id). A public client: no secret in the browser. The access
// token (a JWT the API verifies against the provider's JWKS) is kept in sessionStorage like a dev token; with it the
// provider's refresh token (if it gave one: a 401 token_expired then gets a new access token once) and what sign-out
// needs (its end_session_endpoint, when the discovery document advertises one, and the id_token as its hint).
import { setToken } from './api.js'

const FLOW_KEY = 'jiehu.oidc'
const SESSION_KEY = 'jiehu.oidc.session'

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

// `next`: the console page to come back to once signed in (kept across the provider's redirect).
export async function startOidc(oidc, next = null) {
  const config = await discovery(oidc.issuer)
  const verifier = randomString()
  const state = randomString()
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)))
  sessionStorage.setItem(FLOW_KEY, JSON.stringify({ verifier, state, token_endpoint: config.token_endpoint,
    end_session_endpoint: config.end_session_endpoint || null, next }))
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
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ client_id: oidc.client_id, token_endpoint: flow.token_endpoint,
    end_session_endpoint: flow.end_session_endpoint, id_token: tokens.id_token || null,
    refresh_token: tokens.refresh_token || null }))
  return flow.next || null
}

function oidcSession() {
  return JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null')
}

// A new access token for the refresh token (RFC 6749 §6); false when there is none or the provider refuses it.
export async function refreshAccessToken() {
  const s = oidcSession()
  if (!s || !s.refresh_token) return false
  const response = await fetch(s.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: s.refresh_token, client_id: s.client_id }),
  })
  if (!response.ok) return false
  const tokens = await response.json()
  if (!tokens.access_token) return false
  setToken(tokens.access_token)
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...s, refresh_token: tokens.refresh_token || s.refresh_token,
    id_token: tokens.id_token || s.id_token }))
  return true
}

// Sign-out: forget the tokens here; where the provider advertises an end_session_endpoint (OpenID Connect
// RP-Initiated Logout), the URL that ends the provider's session too and comes back to the sign-in page; else null.
export function endSession() {
  const s = oidcSession()
  sessionStorage.removeItem(SESSION_KEY)
  setToken(null)
  if (!s || !s.end_session_endpoint) return null
  const query = new URLSearchParams({ client_id: s.client_id,
    post_logout_redirect_uri: `${location.origin}/console/signin?signed_out=1` })
  if (s.id_token) query.set('id_token_hint', s.id_token)
  return `${s.end_session_endpoint}${s.end_session_endpoint.includes('?') ? '&' : '?'}${query}`
}
