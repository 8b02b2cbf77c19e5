// One paged list of the API (keyset cursors), as every list page of the console loads it: the page's items, the
// count of open ones the API gives beside them (the queue's `open_count`), whether the first load is done, and the
// API's refusal in words. `fetchPage(cursor)` returns `{ items, next_cursor, open_count? }`.
import { ref } from 'vue'
import { usePaging } from '../paging.js'

export function usePagedList(fetchPage) {
  const items = ref([])
  const openCount = ref(0)
  const loaded = ref(false)
  const error = ref('')
  const paging = usePaging(async (cursor) => {
    error.value = ''
    try {
      const page = await fetchPage(cursor)
      items.value = page.items
      if (page.open_count !== undefined) openCount.value = page.open_count
      return page.next_cursor ?? null
    } catch (e) {
      error.value = e.message
      return null
    } finally {
      loaded.value = true
    }
  })
  return { items, openCount, loaded, error, paging }
}
