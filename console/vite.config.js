// The console is served by the API process at /console (api/routes/console.py); `npm run dev` proxies the API.
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    assetsInlineLimit: 0, // fonts and icons as files of our own (the CSP allows 'self' and data: alike)
    chunkSizeWarningLimit: 2000,
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:8000' } },
})
