// The console's only way to the server: the public REST API, same origin, the bearer token from sessionStorage.
// Errors come back as problem+json; we ask for Chinese (Accept-Language: zh-CN) and show `detail` as text.

const TOKEN_KEY = 'jiehu.token'

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY)
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token)
  else sessionStorage.removeItem(TOKEN_KEY)
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problemText(status, problem))
    this.status = status
    this.problem = problem || {}
    this.code = this.problem.code || (status === 0 ? 'network' : `http_${status}`)
  }
}

function problemText(status, problem) {
  if (status === 0) return '网络连接失败：请检查网络后重试。'
  const detail = (problem && problem.detail) || `请求失败（HTTP ${status}）`
  const fields = problem && Array.isArray(problem.errors) && problem.errors.length
    ? '：' + problem.errors.map((e) => `${e.field} ${e.message}`).join('；') : ''
  return problem && problem.code === 'validation_error' ? detail + fields : detail
}

// A 401 on a signed-in request: the token expired or was refused. `refresher` (the identity provider's refresh
// token, when it gave one) may get a new access token once, and the request is sent again; otherwise
// `onUnauthorized(code)` ends the session (the app sends the person to sign in, saying why).
let onUnauthorized = () => {}
let refresher = null
export function whenUnauthorized(handler) {
  onUnauthorized = handler
}
export function refreshWith(refresh) {
  refresher = refresh
}

export async function api(path, options = {}) {
  try {
    return await send(path, options)
  } catch (e) {
    if (e.status !== 401 || !e.signedIn) throw e
    if (refresher && e.code === 'token_expired' && await refresher().catch(() => false)) return send(path, options)
    onUnauthorized(e.code)
    throw e
  }
}

async function send(path, { method = 'GET', body, key, params } = {}) {
  const headers = { Accept: 'application/json, application/problem+json', 'Accept-Language': 'zh-CN' }
  const token = getToken()
  if (token) headers.Authorization = `Bearer ${token}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (key) headers['Idempotency-Key'] = key
  const url = params ? `${path}?${new URLSearchParams(clean(params))}` : path
  let response
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  } catch {
    throw new ApiError(0, null)
  }
  const text = await response.text()
  let data = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = null
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data || { detail: text.slice(0, 200) })
    error.signedIn = !!token
    throw error
  }
  return data
}

function clean(params) {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''))
}

// An export (XLSX/CSV) needs the bearer token, which a plain link cannot send: fetch it and save the file.
export async function download(path, params, filename) {
  const headers = { 'Accept-Language': 'zh-CN' }
  const token = getToken()
  if (token) headers.Authorization = `Bearer ${token}`
  const response = await fetch(`${path}?${new URLSearchParams(clean(params))}`, { headers })
  if (!response.ok) {
    let problem = null
    try {
      problem = await response.json()
    } catch {
      problem = null
    }
    throw new ApiError(response.status, problem)
  }
  const blob = await response.blob()
  const link = document.createElement('a')
  link.href = URL.createObjectURL(blob)
  link.download = filename
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(link.href), 10000)
}

export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`
}
