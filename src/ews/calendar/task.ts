// Task properties (TaskType, after the ItemType part), in the schema's order. Pure.
import { x } from '../../soap/xml.js';
import type { Task } from '../../convert/ical.js';
import type { CalDateTime } from '../../convert/ical.js';
import { bool, isoUtc, type ViewProperty } from './common.js';
import { rangeDateOffset, renderRecurrence } from './recurrence-xml.js';
import type { AnyCalendarView } from './views.js';

const task = (v: AnyCalendarView): Task | undefined => (v.kind === 'task' ? v.task : undefined);

/**
 * A date-only DUE/DTSTART as local midnight with its offset, the way Exchange answers task dates:
 * clients (exchangelib's DateTimeBackedDateField) take the date part as written, so the UTC form of
 * Berlin midnight (the day before, 23:00Z) would move the task a day early.
 */
function taskDate(d: CalDateTime | undefined): string | undefined {
  if (!d) return undefined;
  if (!d.dateOnly) return isoUtc(d.utc);
  const offset = Math.round((Date.parse(`${d.local}T00:00:00Z`) - d.utc.getTime()) / 60000);
  if (!Number.isFinite(offset)) return isoUtc(d.utc);
  if (offset === 0) return `${d.local}T00:00:00Z`;
  const a = Math.abs(offset);
  return `${d.local}T00:00:00${offset < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

export const TASK_PROPERTIES: ViewProperty[] = [
  { uri: 'task:ChangeCount', render: (v) => (task(v) ? x('t:ChangeCount', null, String(task(v)!.sequence + 1)) : undefined) },
  {
    uri: 'task:CompleteDate',
    render: (v) => (task(v)?.completed ? x('t:CompleteDate', null, isoUtc(task(v)!.completed)) : undefined),
    value: (v) => isoUtc(task(v)?.completed),
  },
  {
    uri: 'task:DelegationState',
    render: (v) => (task(v) ? x('t:DelegationState', null, 'NoMatch') : undefined),
  },
  { uri: 'task:DueDate', render: (v) => (task(v)?.due ? x('t:DueDate', null, taskDate(task(v)!.due)!) : undefined), value: (v) => isoUtc(task(v)?.due?.utc) },
  { uri: 'task:IsAssignmentEditable', render: (v) => (task(v) ? x('t:IsAssignmentEditable', null, '0') : undefined) },
  {
    uri: 'task:IsComplete',
    render: (v) => (task(v) ? x('t:IsComplete', null, bool(task(v)!.status === 'Completed')) : undefined),
    value: (v) => (task(v) ? bool(task(v)!.status === 'Completed') : undefined),
  },
  {
    uri: 'task:IsRecurring',
    render: (v) => (task(v) ? x('t:IsRecurring', null, bool(!!task(v)!.rrule)) : undefined),
    value: (v) => (task(v) ? bool(!!task(v)!.rrule) : undefined),
  },
  { uri: 'task:IsTeamTask', render: (v) => (task(v) ? x('t:IsTeamTask', null, 'false') : undefined) },
  {
    uri: 'task:PercentComplete',
    render: (v) => (task(v) ? x('t:PercentComplete', null, String(task(v)!.percentComplete)) : undefined),
    value: (v) => (task(v) ? String(task(v)!.percentComplete) : undefined),
  },
  {
    uri: 'task:Recurrence',
    render: (v, rc) => (task(v)?.recurrence ? renderRecurrence(task(v)!.recurrence!, rc.version, 't:Recurrence', rangeDateOffset(task(v)!.start ?? task(v)!.due)) : undefined),
  },
  {
    uri: 'task:StartDate',
    render: (v) => (task(v)?.start ? x('t:StartDate', null, taskDate(task(v)!.start)!) : undefined),
    value: (v) => isoUtc(task(v)?.start?.utc),
  },
  { uri: 'task:Status', render: (v) => (task(v) ? x('t:Status', null, task(v)!.status) : undefined), value: (v) => task(v)?.status },
  {
    uri: 'task:StatusDescription',
    render: (v) =>
      task(v)
        ? x(
            't:StatusDescription',
            null,
            { NotStarted: 'Not Started', InProgress: 'In Progress', Completed: 'Completed', WaitingOnOthers: 'Waiting on someone else', Deferred: 'Deferred' }[
              task(v)!.status
            ],
          )
        : undefined,
  },
];

export const TASK_FIND_DEFAULT = [
  'task:DueDate',
  'task:IsComplete',
  'task:IsRecurring',
  'task:PercentComplete',
  'task:StartDate',
  'task:Status',
  'task:CompleteDate',
];
export const TASK_GET_DEFAULT = [
  ...TASK_FIND_DEFAULT,
  'task:ChangeCount',
  'task:DelegationState',
  'task:IsAssignmentEditable',
  'task:IsTeamTask',
  'task:Recurrence',
  'task:StatusDescription',
];
