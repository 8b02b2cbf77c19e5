import { createRouter, createWebHistory } from 'vue-router'
import { getToken, setToken } from './api.js'
import { homeOf, loadSession, session } from './session.js'

const routes = [
  { path: '/', component: { render: () => null }, meta: { home: true } },
  { path: '/signin', component: () => import('./views/SignIn.vue'), meta: { public: true, title: '登录' } },
  { path: '/signin/callback', component: () => import('./views/SignIn.vue'), meta: { public: true, title: '登录' } },
  { path: '/queue', component: () => import('./views/Queue.vue'), meta: { title: '待办' } },
  { path: '/report', component: () => import('./views/Report.vue'), meta: { title: '上报' } },
  { path: '/petitions', component: () => import('./views/Petitions.vue'), meta: { title: '诉求查询' } },
  { path: '/petitions/:id', component: () => import('./views/Petition.vue'), meta: { title: '诉求详情' } },
  { path: '/board', component: () => import('./views/Board.vue'), meta: { title: '分办台' } },
  { path: '/visits', component: () => import('./views/Visits.vue'), meta: { title: '回访' } },
  { path: '/hotline', component: () => import('./views/Hotline.vue'), meta: { title: '热线受理' } },
  { path: '/property-hotline', component: () => import('./views/PropertyHotline.vue'), meta: { title: '物业110' } },
  { path: '/visit-days', component: () => import('./views/VisitDays.vue'), meta: { title: '走访日' } },
  { path: '/evaluation', component: () => import('./views/Evaluation.vue'), meta: { title: '考评申诉' } },
  { path: '/dashboard', component: () => import('./views/Dashboard.vue'), meta: { title: '督办看板' } },
  { path: '/:rest(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHistory('/console/'), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!getToken()) return { path: '/signin', query: to.path === '/' ? {} : { next: to.fullPath } }
  if (!session.me) {
    try {
      await loadSession()
    } catch (e) {
      setToken(null)
      const why = e.status === 401 ? (e.code === 'token_expired' ? '1' : 'invalid') : undefined
      return { path: '/signin', query: { expired: why, next: to.path === '/' ? undefined : to.fullPath } }
    }
  }
  if (to.meta.home) return homeOf(session.me)
  return true
})

router.afterEach((to) => {
  document.title = `${to.meta.title ? to.meta.title + ' · ' : ''}街呼区应工作台`
})
