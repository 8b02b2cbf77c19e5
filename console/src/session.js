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

// `subject`: a named person ('' for `<role>@<unit>`), e.g. a visit team's cadre id
export async function devSignIn(role, unit, subject = '') {
  const minted = await api('/v1/dev/tokens', { method: 'POST', body: { role, unit, subject } })
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

// Which console pages a role may use (from GET /v1/me: its role and the actions it may send). A page reached by URL
// by a role that may not use it shows 您的角色不能使用此页面 instead of its forms (App.vue).
const STAFF_QUEUE_OFF = ['dispatcher', 'return_visitor', 'auditor', 'admin']
export const PAGES = [
  { path: '/queue', title: '待办', may: (me) => !STAFF_QUEUE_OFF.includes(me.role) },
  { path: '/report', title: '上报', may: () => may('report') },
  { path: '/hotline', title: '热线受理', may: () => may('hotline-call') },
  { path: '/property-hotline', title: '物业110', may: () => may('property-hotline-call') },
  { path: '/board', title: '分办台', may: () => may('dispatch') || may('allow-return') },
  { path: '/visits', title: '回访', may: () => may('return-visit') },
  { path: '/dashboard', title: '督办看板',
    may: (me) => ['supervisor', 'admin', 'dispatcher', 'auditor', 'street_staff'].includes(me.role) },
  { path: '/visit-days', title: '走访日',
    may: (me) => may('visit-matter') || ['supervisor', 'admin', 'dispatcher', 'auditor'].includes(me.role) },
  { path: '/evaluation', title: '考评申诉',
    may: () => ['file-appeal', 'decide-appeal', 'correct-evaluation', 'publish-scorecards'].some(may) },
  { path: '/petitions', title: '诉求查询', may: () => true },
]

// Whether the signed-in person may use the page at `path` (pages not in PAGES: yes — the API decides).
export function mayOpen(path) {
  const me = session.me
  if (!me) return false
  const page = PAGES.find((p) => p.path === path)
  return !page || page.may(me)
}

// Where each role starts.
export function homeOf(me) {
  if (!me) return '/signin'
  return { dispatcher: '/board', return_visitor: '/visits', supervisor: '/dashboard', admin: '/dashboard',
    auditor: '/petitions' }[me.role] || '/queue'
}
