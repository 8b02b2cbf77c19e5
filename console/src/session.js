// Who is signed in (GET /v1/me), the Chinese labels (GET /v1/labels) and how to sign in (GET /v1/sign-in).
import { reactive } from 'vue'
import { api, getToken, setToken } from './api.js'
import { endSession } from './oidc.js'

export const session = reactive({ me: null, labels: {}, signIn: null, units: {}, categories: [] })

export async function loadSession() {
  if (!getToken()) return null
  const [me, labels] = await Promise.all([api('/v1/me'), api('/v1/labels')])
  session.me = me
  session.labels = labels
  return me
}

export async function loadSignIn() {
  if (!session.signIn) session.signIn = await api('/v1/sign-in')
  return session.signIn
}

export async function devSignIn(role, unit) {
  const minted = await api('/v1/dev/tokens', { method: 'POST', body: { role, unit } })
  setToken(minted.token)
  return loadSession()
}

// Forget who is signed in (the token, and the identity provider's session data); returns the provider's
// end-session URL to go to, or null (a dev token, or a provider that advertises none).
export function signOut() {
  const away = endSession()
  setToken(null)
  session.me = null
  return away
}

export function label(kind, value) {
  if (value === null || value === undefined || value === '') return ''
  return (session.labels[kind] && session.labels[kind][value]) || value
}

export function may(action) {
  return !!session.me && session.me.actions.includes(action)
}

// The unit names of the org tree (codes in events become names in the 流转记录).
export async function loadUnits() {
  if (Object.keys(session.units).length) return session.units
  const units = await api('/v1/units')
  session.units = Object.fromEntries(units.map((u) => [u.code, u]))
  return session.units
}

export function unitName(code) {
  return (code && session.units[code] && session.units[code].name) || code || ''
}

export async function loadCategories() {
  if (!session.categories.length) session.categories = await api('/v1/categories')
  return session.categories
}

// Where each role starts.
export function homeOf(me) {
  if (!me) return '/signin'
  return { dispatcher: '/board', return_visitor: '/visits', supervisor: '/dashboard', admin: '/dashboard',
    auditor: '/petitions' }[me.role] || '/queue'
}
