// Times as a Beijing office reads them.
const formatter = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit',
  day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false })

export function beijing(iso) {
  if (!iso) return ''
  return formatter.format(new Date(iso)).replace(/\//g, '-')
}

// The deadline that runs now, and its name.
export function nextDeadline(p) {
  if (p.status === 'returned') return { due: p.redispatch_due, name: '重新分办时限' }
  if (p.status === 'resolved') return { due: p.visit_due, name: '回访时限' }
  if (p.status === 'dispatched') return { due: p.accept_due, name: '签收时限' }
  if (p.status === 'accepted') return { due: p.resolve_due, name: '办结时限' }
  return { due: p.next_due, name: '时限' }
}
