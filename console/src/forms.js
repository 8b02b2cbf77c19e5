// What a form needs from an API refusal: the problem's `errors` ({field, message}, in Chinese under
// Accept-Language: zh-CN) by field, for el-form-item's `:error`, and the detail for the top of the form.
import { reactive } from 'vue'

// `fields`: the form's field names; a field the API names that the form has not (a nested `media_urls.0`, a
// field the form does not show) is kept under its first segment or shown with the detail.
export function useFieldErrors() {
  const errors = reactive({})
  return {
    errors,
    clear() {
      Object.keys(errors).forEach((k) => delete errors[k])
    },
    // the API's refusal `e` (an ApiError); returns the text left for the top of the form
    take(e) {
      Object.keys(errors).forEach((k) => delete errors[k])
      const listed = (e && e.problem && Array.isArray(e.problem.errors)) ? e.problem.errors : []
      listed.forEach(({ field, message }) => {
        const key = String(field || '').split('.')[0]
        if (key && key !== 'body') errors[key] = errors[key] ? `${errors[key]}；${message}` : message
      })
      return listed.length && e.problem.detail ? e.problem.detail : (e ? e.message : '')
    },
  }
}

// The grids a person may report in (their part of the org tree; a district's dispatcher: its district), with their
// boundaries where the org has them, labelled by their path below the district.
export async function reportableGrids(api, me) {
  if (me.role === 'admin' || !me.unit_code) {
    return (await api('/v1/units', { params: { kind: 'grid' } })).map((g) => ({ code: g.code, label: g.name, boundary: null }))
  }
  const out = []
  const walk = (u, path) => {
    const here = u.kind === 'district' ? path : [...path, u.name]
    if (u.kind === 'grid') out.push({ code: u.code, label: here.join(' · '), boundary: u.boundary })
    u.children.forEach((c) => walk(c, here))
  }
  walk(await api(`/v1/units/${encodeURIComponent(me.unit_code)}`), [])
  return out
}

// Links typed one a line (or separated by spaces).
export function links(text) {
  return (text || '').split(/\s+/).map((s) => s.trim()).filter(Boolean)
}
