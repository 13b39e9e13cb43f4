// Notifications on the wire ([MS-OXWSNTIF]): events, Notification elements, the
// GetStreamingEvents response messages (events, keep-alives, errors, Closed) and the
// SendNotification request a push subscription POSTs to the client.
import { NS, x, type Xml, type XmlChild } from '../soap/xml.js';
import { SERVER_VERSION } from '../soap/envelope.js';
import type { NotifyEvent } from './model.js';

function serverVersionInfo(): Xml {
  const v = SERVER_VERSION;
  return x('h:ServerVersionInfo', {
    MajorVersion: v.major,
    MinorVersion: v.minor,
    MajorBuildNumber: v.majorBuild,
    MinorBuildNumber: v.minorBuild,
    Version: v.version,
    'xmlns:h': NS.types,
  });
}

const ts = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const idEl = (name: string, v?: { id: string; changeKey?: string }) => (v ? x(name, { Id: v.id, ChangeKey: v.changeKey }) : undefined);

/** One event element (t:NewMailEvent, t:ModifiedEvent, ...), with its watermark when it has one. */
export function renderEvent(e: NotifyEvent, withWatermark: boolean): Xml {
  const wm = withWatermark && e.watermark ? x('t:Watermark', null, e.watermark) : undefined;
  if (e.kind === 'StatusEvent') return x('t:StatusEvent', null, wm);
  const object = e.itemId ? idEl('t:ItemId', e.itemId) : idEl('t:FolderId', e.folderId);
  const moved = e.kind === 'MovedEvent' || e.kind === 'CopiedEvent';
  return x(
    `t:${e.kind}`,
    null,
    wm,
    x('t:TimeStamp', null, ts(e.time)),
    object,
    idEl('t:ParentFolderId', e.parentFolderId),
    moved ? (e.oldItemId ? idEl('t:OldItemId', e.oldItemId) : idEl('t:OldFolderId', e.oldFolderId)) : undefined,
    moved ? idEl('t:OldParentFolderId', e.oldParentFolderId) : undefined,
    e.kind === 'ModifiedEvent' && e.folderId && e.unreadCount !== undefined ? x('t:UnreadCount', null, String(e.unreadCount)) : undefined,
  );
}

/** A Notification with watermarks (GetEvents and SendNotification). */
export function renderPullNotification(name: 'm:Notification', subscriptionId: string, previousWatermark: string | undefined, more: boolean, events: NotifyEvent[]): Xml {
  return x(
    name,
    null,
    x('t:SubscriptionId', null, subscriptionId),
    previousWatermark ? x('t:PreviousWatermark', null, previousWatermark) : undefined,
    x('t:MoreEvents', null, more ? 'true' : 'false'),
    events.map((e) => renderEvent(e, true)),
  );
}

/** A streaming Notification: no watermarks, as Exchange streams them. */
export function renderStreamNotification(subscriptionId: string, events: NotifyEvent[]): Xml {
  return x('m:Notification', null, x('t:SubscriptionId', null, subscriptionId), events.map((e) => renderEvent(e, false)));
}

function streamingResponse(message: Xml): Xml {
  return x('m:GetStreamingEventsResponse', null, x('m:ResponseMessages', null, message));
}

export function streamingNotifications(notifications: Xml[]): Xml {
  return streamingResponse(
    x(
      'm:GetStreamingEventsResponseMessage',
      { ResponseClass: 'Success' },
      x('m:ResponseCode', null, 'NoError'),
      x('m:Notifications', null, notifications),
      x('m:ConnectionStatus', null, 'OK'),
    ),
  );
}

/** The keep-alive every held connection gets while nothing happens. */
export function streamingKeepAlive(): Xml {
  return streamingResponse(
    x('m:GetStreamingEventsResponseMessage', { ResponseClass: 'Success' }, x('m:ResponseCode', null, 'NoError'), x('m:ConnectionStatus', null, 'OK')),
  );
}

/** The last message of a connection that ends normally (ConnectionTimeout, size cap, shutdown). */
export function streamingClosed(): Xml {
  return streamingResponse(
    x('m:GetStreamingEventsResponseMessage', { ResponseClass: 'Success' }, x('m:ResponseCode', null, 'NoError'), x('m:ConnectionStatus', null, 'Closed')),
  );
}

/**
 * An error for some of the connection's subscriptions (ErrorSubscriptionNotFound,
 * ErrorMissedNotificationEvents, ...). With `closed`, the connection ends with it.
 */
export function streamingError(code: string, message: string, subscriptionIds: string[], closed: boolean): Xml {
  return streamingResponse(
    x(
      'm:GetStreamingEventsResponseMessage',
      { ResponseClass: 'Error' },
      x('m:MessageText', null, message),
      x('m:ResponseCode', null, code),
      x('m:DescriptiveLinkKey', null, '0'),
      subscriptionIds.length ? x('m:ErrorSubscriptionIds', null, subscriptionIds.map((id) => x('m:SubscriptionId', null, id))) : undefined,
      x('m:ConnectionStatus', null, closed ? 'Closed' : 'OK'),
    ),
  );
}

/**
 * A streaming envelope. The EWS Managed API and its ports split the chunked stream on the
 * literal `<Envelope` / `</Envelope>`, as Exchange writes it (default namespace, no prefix);
 * exchangelib matches the local name. So the envelope element carries no prefix.
 */
export function renderStreamingEnvelope(body: Xml, soapVersion: '1.1' | '1.2' = '1.1'): string {
  const soapNs = soapVersion === '1.2' ? NS.soap12 : NS.soap11;
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    x(
      'Envelope',
      { xmlns: soapNs, 'xmlns:s': soapNs },
      x('s:Header', null, serverVersionInfo()),
      x('s:Body', { 'xmlns:xsi': NS.xsi, 'xmlns:xsd': 'http://www.w3.org/2001/XMLSchema', 'xmlns:m': NS.messages, 'xmlns:t': NS.types }, body),
    ).raw
  );
}

/** The SOAP request a push subscription POSTs to the client's URL. */
export function sendNotificationEnvelope(notification: Xml): string {
  const body: XmlChild = x(
    'm:SendNotification',
    null,
    x(
      'm:ResponseMessages',
      null,
      x('m:SendNotificationResponseMessage', { ResponseClass: 'Success' }, x('m:ResponseCode', null, 'NoError'), notification),
    ),
  );
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    x(
      'soap:Envelope',
      { 'xmlns:soap': NS.soap11, 'xmlns:m': NS.messages, 'xmlns:t': NS.types },
      x('soap:Header', null, x('t:RequestServerVersion', { Version: 'Exchange2010_SP1' })),
      x('soap:Body', null, body),
    ).raw
  );
}
