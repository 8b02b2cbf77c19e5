import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import 'element-plus/dist/index.css'
import './style.css'
import App from './App.vue'
import LongText from './components/LongText.vue'
import { router } from './router.js'
import { setToken } from './api.js'

// `jiehu dev` prints /console/#token=…: the token rides in the fragment (never sent to a server, never in a log);
// keep it for this tab and take it out of the address bar at once.
const fragment = new URLSearchParams(location.hash.slice(1))
if (fragment.get('token')) {
  setToken(fragment.get('token'))
  history.replaceState(null, '', location.pathname + location.search)
}

// LongText: the free-text field with a counter that never cuts what was typed or pasted (components/LongText.vue)
createApp(App).use(ElementPlus, { locale: zhCn }).use(router).component('LongText', LongText).mount('#app')
