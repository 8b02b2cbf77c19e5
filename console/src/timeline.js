// A petition's events as the 流转记录: one sentence per event — who (name, role, unit), what (the event type's
// Chinese name from GET /v1/labels), and the facts it carries. Every value stays text: the view renders these
// with text interpolation only, never as HTML.
import { beijing } from './format.js'
import { label, unitName } from './session.js'

const DEADLINE = { accept: '签收', resolve: '办结', redispatch: '重新分办', decision: '审批' }
const CAUSE = { report: '上报后派单', escalation: '提级后派单', redispatch: '重新分办', reopen: '重办' }

function days(span) {
  if (!span) return ''
  const hours = span.seconds / 3600
  return span.clock === 'natural' ? `${Math.round(hours)}小时（自然时间）` : `${Math.round((hours / 24) * 10) / 10}个工作日`
}

export function who(data) {
  const actor = data.actor || data.opened_by
  if (!actor) return '系统'
  if (actor.role === 'system') return '系统'
  const unit = actor.unit_code ? unitName(actor.unit_code) : '市级'
  return `${actor.name}（${label('Role', actor.role)}，${unit}）`
}

export function sentence(event) {
  const d = event.data
  const parts = []
  const add = (text) => { if (text) parts.push(text) }
  switch (event.type) {
    case 'PetitionReported':
      add(`${label('Channel', d.channel)}，${label('Urgency', d.urgency)}`)
      add(d.description && `描述：${d.description}`)
      add(d.address && `地址：${d.address}`)
      break
    case 'WorkOrderAssigned':
      add(`${CAUSE[d.cause] || ''}，派至 ${d.rung.unit_name}（${label('Level', d.rung.level)}）`)
      add(`签收时限 ${beijing(d.accept_due)}，办结时限 ${beijing(d.resolve_due)}${d.provisional ? '（暂定）' : ''}`)
      add(d.final && '终审派单：不得再次退单')
      break
    case 'WorkOrderAccepted': add(`${unitName(d.unit_code)}${d.in_time ? '按时签收' : '超时签收'}`); break
    case 'WorkOrderReturned': add(`${unitName(d.unit_code)}退回派单台`); add(d.reason && `理由：${d.reason}`); break
    case 'WorkOrderDelivered': add(`${unitName(d.unit_code)}已查收工单`); break
    case 'PetitionRedispatched':
      add(d.ladder && d.ladder[0] && `改派至 ${d.ladder[0].unit_name}`); add(d.note && `说明：${d.note}`); break
    case 'PetitionEscalated':
      add(`由 ${unitName(d.from_unit)} 提级至 ${unitName(d.to_unit)}${d.by_deadline ? '（超时自动提级）' : ''}`)
      add(d.reason && `理由：${d.reason}`)
      break
    case 'ExtensionRequested': add(`申请延长 ${days(d.span)}`); add(d.reason && `理由：${d.reason}`); break
    case 'ExtensionDecided':
      add(d.approved ? `同意延期，办结时限改为 ${beijing(d.resolve_due)}` : '不同意延期'); add(d.note && `意见：${d.note}`); break
    case 'PauseRequested': case 'ClockPaused':
      add(label('PauseReason', d.reason_kind)); add(d.reason && `说明：${d.reason}`); break
    case 'ClockResumed': add(`办结时限 ${beijing(d.resolve_due)}`); add(d.note); break
    case 'PetitionResolved':
      add(label('Resolution', d.resolution) + (d.on_the_spot ? '（就地解决）' : '') + (d.in_time ? '' : '（超时办结）'))
      add(d.result && `办结说明：${d.result}`)
      break
    case 'PetitionUrged': add(d.automatic ? '系统自动催办' : ''); add(d.note && `意见：${d.automatic ? chinesePart(d.note) : d.note}`); break
    case 'DeadlineWarned': add(`${unitName(d.unit_code)}的${DEADLINE[d.deadline] || ''}时限 ${beijing(d.resolve_due)} 将到`); break
    case 'DeadlineBreached': add(`${unitName(d.unit_code)}未在 ${beijing(d.due)} 前${DEADLINE[d.deadline] || '办理'}`); break
    case 'ReturnVisitRecorded':
      add(`第${d.attempt}次${label('VisitChannel', d.channel)}：${label('VisitOutcome', d.outcome)}`); add(d.note && `记录：${d.note}`); break
    case 'PetitionReopened':
      add(`退回 ${unitName(d.unit_code)} 重新办理（第${d.reopen_count}次）${d.after_close ? '，结案后重办' : ''}`)
      add(d.reason || d.note)
      break
    case 'PetitionClosed':
      add(label('CloseOutcome', d.outcome)); add(d.explanation && `说明：${d.explanation}`); add(d.duplicate_of && `重复于 ${d.duplicate_of}`); break
    case 'IntakeTriaged': add(label('TriageOutcome', d.outcome)); add(d.reason && `理由：${d.reason}`); add(d.answer && `答复：${d.answer}`); break
    case 'CallerLinked':
      add(`第${d.caller}位反映人 ${d.caller_name || ''} ${d.caller_phone || ''}`.trim())
      add(d.merged_from && `由 ${d.merged_from} 合并而来`)
      add(d.reason)
      break
    case 'PetitionMerged': add(`并入 ${d.into}（${d.reporters}位反映人随之转入）`); add(d.reason && `理由：${d.reason}`); break
    case 'BurstDeclared': add(d.burst && d.burst.reason); break
    case 'CompanyCallbackRecorded': add(`${unitName(d.unit_code)}：${label('VisitOutcome', d.outcome)}`); add(d.note); break
    case 'LinkedCallerVisited': add(`第${d.caller}位来电人：${label('VisitOutcome', d.outcome)}`); add(d.note); break
    default:
      add(d.reason || d.note || d.result || d.explanation || '')
  }
  const links = (d.evidence_urls || d.media_urls || []).filter((u) => /^https?:\/\//i.test(u))
  return { at: beijing(event.occurred_at), who: who(d), what: label('EventType', event.type), detail: parts.join('；'), links }
}

// A system note written "English / 中文" (the workflow's automatic urge: "not accepted in time / 超时未签收"): the
// console shows the Chinese part only; any other text as it is.
export function chinesePart(text) {
  const m = /^[\x20-\x7e]+ \/ (.*[\u4e00-\u9fff].*)$/s.exec(text || '')
  return m ? m[1] : text
}
