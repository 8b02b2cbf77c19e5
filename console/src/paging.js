// Keyset paging over the API's cursors: a stack of the cursors of the pages before this one.
import { reactive } from 'vue'

export function usePaging(load) {
  const state = reactive({ stack: [], cursor: null, next: null })
  return {
    state,
    async first() {
      state.stack = []
      state.cursor = null
      state.next = await load(null)
    },
    async next() {
      state.stack.push(state.cursor)
      state.cursor = state.next
      state.next = await load(state.cursor)
    },
    async prev() {
      state.cursor = state.stack.pop() ?? null
      state.next = await load(state.cursor)
    },
    async reload() {
      state.next = await load(state.cursor)
    },
  }
}
