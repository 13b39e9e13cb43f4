// The operations ewsgate can describe in its WSDL, with their request/response structure,
// written from the Microsoft open specifications (section numbers in `spec`). The dispatch
// table decides which of them are published: schema.ts refuses any name that is not here.
import {
  attr,
  choice,
  complex,
  el,
  enumType,
  anyLax,
  loose,
  many,
  opt,
  ref,
  type AttributeDef,
  type ComplexTypeDef,
  type Particle,
  type SchemaDef,
} from './xsd.js';

/** SOAP headers a request may carry, in WSDL part order. */
export type SoapHeader = 'ExchangeImpersonation' | 'MailboxCulture' | 'RequestServerVersion' | 'TimeZoneContext';

/** WSDL part name of each header, as the specifications name them. */
export const HEADER_PART: Readonly<Record<SoapHeader, string>> = {
  ExchangeImpersonation: 'Impersonation',
  MailboxCulture: 'MailboxCulture',
  RequestServerVersion: 'RequestVersion',
  TimeZoneContext: 'TimeZoneContext',
};

export const HEADER_ORDER: readonly SoapHeader[] = [
  'ExchangeImpersonation',
  'MailboxCulture',
  'RequestServerVersion',
  'TimeZoneContext',
];

/**
 * How an operation answers.
 * - `messages`: the usual EWS shape, `<OpResponse><ResponseMessages><OpResponseMessage ResponseClass=..>`,
 *   one response message per requested object, each of type `messageType`.
 * - `custom`: a response element with its own type (availability, OOF, photo ...).
 */
export type ResponseSpec =
  | { readonly kind: 'messages'; readonly element: string; readonly messageElement: string; readonly messageType: string }
  | { readonly kind: 'custom'; readonly element: string; readonly type: ComplexTypeDef };

export interface OperationSpec {
  readonly name: string;
  /** The open specification (and, where checked, the section) that defines the operation. */
  readonly spec: string;
  readonly headers: readonly SoapHeader[];
  /** Name of the SOAP body part of the input message ("request" for most operations). */
  readonly bodyPart: string;
  readonly request: { readonly element: string; readonly type: ComplexTypeDef };
  readonly response: ResponseSpec;
}

// ------------------------------------------------------------------ shared message types
// ([MS-OXWSCDATA] 2.2.4 and the per-protocol specifications)

const rm = (name: string, particles: readonly Particle[], base = 'm:ResponseMessageType'): ComplexTypeDef =>
  complex(name, { base, particles });

/** Message-namespace types shared between operations; only those an operation needs are emitted. */
export const MESSAGE_TYPES: readonly SchemaDef[] = [
  complex('BaseRequestType', { abstract: true }, 'Base of every request body ([MS-OXWSCDATA] 2.2.4.17).'),
  complex(
    'ResponseMessageType',
    {
      particles: [
        opt('MessageText', 'xs:string'),
        opt('ResponseCode', 't:ResponseCodeType'),
        opt('DescriptiveLinkKey', 'xs:int'),
        opt('MessageXml', 'm:MessageXmlType'),
      ],
      attributes: [attr('ResponseClass', 't:ResponseClassType', 'required')],
    },
    'Status of one response message ([MS-OXWSCDATA] 2.2.4.65).',
  ),
  complex('MessageXmlType', { particles: [{ any: true, min: 0, max: 'unbounded' }] }, 'Additional error detail.'),
  complex('BaseMoveCopyFolderType', {
    abstract: true,
    base: 'm:BaseRequestType',
    particles: [el('ToFolderId', 't:TargetFolderIdType'), el('FolderIds', 't:NonEmptyArrayOfBaseFolderIdsType')],
  }),
  complex('BaseMoveCopyItemType', {
    abstract: true,
    base: 'm:BaseRequestType',
    particles: [
      el('ToFolderId', 't:TargetFolderIdType'),
      el('ItemIds', 't:NonEmptyArrayOfBaseItemIdsType'),
      opt('ReturnNewItemIds', 'xs:boolean'),
    ],
  }),
  // FindPeople ([MS-OXWSFPPL]): the persona types are large; ewsgate describes them loosely.
  loose('FindPeoplePersonaShapeType', 'PersonaShape of FindPeople (t:PersonaResponseShapeType in [MS-OXWSFPPL]), loosely typed.'),
  loose('FindPeopleQueryStringType', 'QueryString of FindPeople (text, with optional attributes), loosely typed.'),
  loose('ArrayOfPeopleType', 'The t:Persona elements of a FindPeople answer, loosely typed.'),
  rm('FolderInfoResponseMessageType', [opt('Folders', 't:ArrayOfFoldersType')]),
  rm('FindFolderResponseMessageType', [opt('RootFolder', 't:FindFolderParentType')]),
  rm('ItemInfoResponseMessageType', [opt('Items', 't:ArrayOfRealItemsType')]),
  rm('MarkAsJunkResponseMessageType', [opt('MovedItemId', 't:ItemIdType')]),
  rm('ExportItemsResponseMessageType', [opt('ItemId', 't:ItemIdType'), opt('Data', 'xs:base64Binary')]),
  rm('UploadItemsResponseMessageType', [opt('ItemId', 't:ItemIdType')]),
  rm('UpdateItemResponseMessageType', [opt('ConflictResults', 't:ConflictResultsType')], 'm:ItemInfoResponseMessageType'),
  rm('FindItemResponseMessageType', [opt('RootFolder', 't:FindItemParentType')]),
  rm('SyncFolderHierarchyResponseMessageType', [
    opt('SyncState', 'xs:string'),
    opt('IncludesLastFolderInRange', 'xs:boolean'),
    opt('Changes', 't:SyncFolderHierarchyChangesType'),
  ]),
  rm('SyncFolderItemsResponseMessageType', [
    opt('SyncState', 'xs:string'),
    opt('IncludesLastItemInRange', 'xs:boolean'),
    opt('Changes', 't:SyncFolderItemsChangesType'),
  ]),
  rm('ConvertIdResponseMessageType', [opt('AlternateId', 't:AlternateIdBaseType')]),
  rm('AttachmentInfoResponseMessageType', [opt('Attachments', 't:ArrayOfAttachmentsType')]),
  rm('DeleteAttachmentResponseMessageType', [opt('RootItemId', 't:RootItemIdType')]),
  rm('ResolveNamesResponseMessageType', [opt('ResolutionSet', 't:ArrayOfResolutionType')]),
  rm('ExpandDLResponseMessageType', [opt('DLExpansion', 't:ArrayOfDLExpansionType')]),
  rm('GetServerTimeZonesResponseMessageType', [opt('TimeZoneDefinitions', 't:ArrayOfTimeZoneDefinitionType')]),
  rm('SubscribeResponseMessageType', [opt('SubscriptionId', 't:SubscriptionIdType'), opt('Watermark', 't:WatermarkType')]),
  rm('GetEventsResponseMessageType', [opt('Notification', 't:NotificationType')]),
  rm('GetStreamingEventsResponseMessageType', [
    opt('Notifications', 'm:NonEmptyArrayOfNotificationsType'),
    opt('ErrorSubscriptionIds', 'm:ArrayOfErrorSubscriptionIds'),
    opt('ConnectionStatus', 'm:ConnectionStatusType'),
  ]),
  complex('NonEmptyArrayOfNotificationsType', { particles: [many('Notification', 't:NotificationType', 1)] }),
  complex('ArrayOfErrorSubscriptionIds', { particles: [many('SubscriptionId', 't:SubscriptionIdType')] }),
  enumType('ConnectionStatusType', ['OK', 'Closed']),
  rm('GetUserConfigurationResponseMessageType', [opt('UserConfiguration', 't:UserConfigurationType')]),
  complex('ArrayOfFreeBusyResponse', { particles: [many('FreeBusyResponse', 'm:FreeBusyResponseType')] }),
  complex('FreeBusyResponseType', {
    particles: [opt('ResponseMessage', 'm:ResponseMessageType'), opt('FreeBusyView', 't:FreeBusyView')],
  }),
  complex('SuggestionsResponseType', {
    particles: [
      opt('ResponseMessage', 'm:ResponseMessageType'),
      opt('SuggestionDayResultArray', 't:ArrayOfSuggestionDayResult'),
    ],
  }),
  complex('ArrayOfServiceConfigurationType', {
    particles: [many('ConfigurationName', 't:ServiceConfigurationType', 1)],
  }),
  complex('ArrayOfServiceConfigurationResponseMessageType', {
    particles: [many('ServiceConfigurationResponseMessageType', 'm:ServiceConfigurationResponseMessageType', 1)],
  }),
  rm('ServiceConfigurationResponseMessageType', [
    opt('MailTipsConfiguration', 't:MailTipsServiceConfiguration'),
    opt('UnifiedMessagingConfiguration', 't:UnifiedMessageServiceConfiguration'),
    opt('ProtectionRulesConfiguration', 't:ProtectionRulesServiceConfiguration'),
    opt('PolicyNudgeRulesConfiguration', 't:PolicyNudgeRulesServiceConfiguration'),
    opt('SharePointURLsConfiguration', 't:SharePointURLsServiceConfiguration'),
  ]),
];

// ------------------------------------------------------------------ table helpers

const IMR: readonly SoapHeader[] = ['ExchangeImpersonation', 'MailboxCulture', 'RequestServerVersion'];
const IMRT: readonly SoapHeader[] = [...IMR, 'TimeZoneContext'];

interface OpInput {
  readonly spec: string;
  readonly headers: readonly SoapHeader[];
  /** Request body particles (the request type extends m:BaseRequestType). */
  readonly request?: readonly Particle[];
  readonly requestAttributes?: readonly AttributeDef[];
  /** Request type base, when not m:BaseRequestType (e.g. m:BaseMoveCopyFolderType). */
  readonly requestBase?: string;
  /** Element/type names that differ from `<Op>` / `<Op>Type`. */
  readonly requestElement?: string;
  readonly requestType?: string;
  readonly bodyPart?: string;
  /** `messages` responses: the response message type. */
  readonly messageType?: string;
  /** `custom` responses. */
  readonly customResponse?: { readonly element: string; readonly type: ComplexTypeDef };
}

function op(name: string, o: OpInput): OperationSpec {
  const requestElement = o.requestElement ?? name;
  const type = complex(o.requestType ?? `${requestElement}Type`, {
    base: o.requestBase ?? 'm:BaseRequestType',
    particles: o.request ?? [],
    attributes: o.requestAttributes,
  });
  let response: ResponseSpec;
  if (o.customResponse) response = { kind: 'custom', ...o.customResponse };
  else if (o.messageType) {
    response = {
      kind: 'messages',
      element: `${name}Response`,
      messageElement: `${name}ResponseMessage`,
      messageType: o.messageType,
    };
  } else throw new Error(`operation ${name}: no response described`);
  return {
    name,
    spec: o.spec,
    headers: o.headers,
    bodyPart: o.bodyPart ?? 'request',
    request: { element: requestElement, type },
    response,
  };
}

const FOLDER_IDS = el('FolderIds', 't:NonEmptyArrayOfBaseFolderIdsType');
const ITEM_IDS = el('ItemIds', 't:NonEmptyArrayOfBaseItemIdsType');
const FOLDER_SHAPE = el('FolderShape', 't:FolderResponseShapeType');
const ITEM_SHAPE = el('ItemShape', 't:ItemResponseShapeType');

// ------------------------------------------------------------------ the table

const TABLE: readonly OperationSpec[] = [
  // ---- folders [MS-OXWSFOLD], [MS-OXWSSRCH]
  op('GetFolder', {
    spec: 'MS-OXWSFOLD 3.1.4.6',
    headers: IMRT,
    request: [FOLDER_SHAPE, FOLDER_IDS],
    messageType: 'm:FolderInfoResponseMessageType',
  }),
  op('FindFolder', {
    spec: 'MS-OXWSSRCH 3.1.4.1',
    headers: IMRT,
    request: [
      FOLDER_SHAPE,
      choice(
        [el('IndexedPageFolderView', 't:IndexedPageViewType'), el('FractionalPageFolderView', 't:FractionalPageViewType')],
        { min: 0 },
      ),
      opt('Restriction', 't:RestrictionType'),
      el('ParentFolderIds', 't:NonEmptyArrayOfBaseFolderIdsType'),
    ],
    requestAttributes: [attr('Traversal', 't:FolderQueryTraversalType', 'required')],
    messageType: 'm:FindFolderResponseMessageType',
  }),
  op('CreateFolder', {
    spec: 'MS-OXWSFOLD 3.1.4.2',
    headers: IMRT,
    request: [el('ParentFolderId', 't:TargetFolderIdType'), el('Folders', 't:NonEmptyArrayOfFoldersType')],
    messageType: 'm:FolderInfoResponseMessageType',
  }),
  op('UpdateFolder', {
    spec: 'MS-OXWSFOLD 3.1.4.8',
    headers: IMRT,
    request: [el('FolderChanges', 't:NonEmptyArrayOfFolderChangesType')],
    messageType: 'm:FolderInfoResponseMessageType',
  }),
  op('DeleteFolder', {
    spec: 'MS-OXWSFOLD 3.1.4.4',
    headers: IMR,
    request: [FOLDER_IDS],
    requestAttributes: [attr('DeleteType', 't:DisposalType', 'required')],
    messageType: 'm:ResponseMessageType',
  }),
  op('MoveFolder', {
    spec: 'MS-OXWSFOLD 3.1.4.7',
    headers: IMR,
    requestBase: 'm:BaseMoveCopyFolderType',
    messageType: 'm:FolderInfoResponseMessageType',
  }),
  op('CopyFolder', {
    spec: 'MS-OXWSFOLD 3.1.4.1',
    headers: IMR,
    requestBase: 'm:BaseMoveCopyFolderType',
    messageType: 'm:FolderInfoResponseMessageType',
  }),
  op('EmptyFolder', {
    spec: 'MS-OXWSFOLD 3.1.4.5',
    headers: IMR,
    request: [FOLDER_IDS],
    requestAttributes: [
      attr('DeleteType', 't:DisposalType', 'required'),
      attr('DeleteSubFolders', 'xs:boolean', 'required'),
    ],
    messageType: 'm:ResponseMessageType',
  }),

  // ---- synchronization [MS-OXWSSYNC]
  op('SyncFolderHierarchy', {
    spec: 'MS-OXWSSYNC 3.1.4.1',
    headers: IMR,
    request: [FOLDER_SHAPE, opt('SyncFolderId', 't:TargetFolderIdType'), opt('SyncState', 'xs:string')],
    messageType: 'm:SyncFolderHierarchyResponseMessageType',
  }),
  op('SyncFolderItems', {
    spec: 'MS-OXWSSYNC 3.1.4.2',
    headers: IMR,
    request: [
      ITEM_SHAPE,
      el('SyncFolderId', 't:TargetFolderIdType'),
      opt('SyncState', 'xs:string'),
      opt('Ignore', 't:ArrayOfBaseItemIdsType'),
      el('MaxChangesReturned', 't:MaxSyncChangesReturnedType'),
      opt('SyncScope', 't:SyncFolderItemsScopeType'),
    ],
    messageType: 'm:SyncFolderItemsResponseMessageType',
  }),

  // ---- identifiers [MS-OXWSCVTID]
  op('ConvertId', {
    spec: 'MS-OXWSCVTID 3.1.4.1',
    headers: ['ExchangeImpersonation', 'RequestServerVersion'],
    request: [el('SourceIds', 't:NonEmptyArrayOfAlternateIdsType')],
    requestAttributes: [attr('DestinationFormat', 't:IdFormatType', 'required')],
    messageType: 'm:ConvertIdResponseMessageType',
  }),

  // ---- items [MS-OXWSCORE], [MS-OXWSSRCH]
  op('GetItem', {
    spec: 'MS-OXWSCORE 3.1.4.4',
    headers: IMRT,
    request: [ITEM_SHAPE, ITEM_IDS],
    messageType: 'm:ItemInfoResponseMessageType',
  }),
  op('FindItem', {
    spec: 'MS-OXWSSRCH 3.1.4.2',
    headers: IMRT,
    request: [
      ITEM_SHAPE,
      choice(
        [
          el('IndexedPageItemView', 't:IndexedPageViewType'),
          el('FractionalPageItemView', 't:FractionalPageViewType'),
          el('CalendarView', 't:CalendarViewType'),
          el('ContactsView', 't:ContactsViewType'),
        ],
        { min: 0 },
      ),
      choice([el('GroupBy', 't:GroupByType'), el('DistinguishedGroupBy', 't:DistinguishedGroupByType')], { min: 0 }),
      opt('Restriction', 't:RestrictionType'),
      opt('SortOrder', 't:NonEmptyArrayOfFieldOrdersType'),
      el('ParentFolderIds', 't:NonEmptyArrayOfBaseFolderIdsType'),
      opt('QueryString', 'xs:string'),
    ],
    requestAttributes: [attr('Traversal', 't:ItemQueryTraversalType', 'required')],
    messageType: 'm:FindItemResponseMessageType',
  }),
  op('CreateItem', {
    spec: 'MS-OXWSCORE 3.1.4.2',
    headers: IMRT,
    request: [opt('SavedItemFolderId', 't:TargetFolderIdType'), el('Items', 't:NonEmptyArrayOfAllItemsType')],
    requestAttributes: [
      attr('MessageDisposition', 't:MessageDispositionType'),
      attr('SendMeetingInvitations', 't:CalendarItemCreateOrDeleteOperationType'),
    ],
    messageType: 'm:ItemInfoResponseMessageType',
  }),
  op('UpdateItem', {
    spec: 'MS-OXWSCORE 3.1.4.9',
    headers: IMRT,
    request: [opt('SavedItemFolderId', 't:TargetFolderIdType'), el('ItemChanges', 't:NonEmptyArrayOfItemChangesType')],
    requestAttributes: [
      attr('ConflictResolution', 't:ConflictResolutionType', 'required'),
      attr('MessageDisposition', 't:MessageDispositionType'),
      attr('SendMeetingInvitationsOrCancellations', 't:CalendarItemUpdateOperationType'),
      attr('SuppressReadReceipts', 'xs:boolean'),
    ],
    messageType: 'm:UpdateItemResponseMessageType',
  }),
  op('DeleteItem', {
    spec: 'MS-OXWSCORE 3.1.4.3',
    headers: IMR,
    request: [ITEM_IDS],
    requestAttributes: [
      attr('DeleteType', 't:DisposalType', 'required'),
      attr('SendMeetingCancellations', 't:CalendarItemCreateOrDeleteOperationType'),
      attr('AffectedTaskOccurrences', 't:AffectedTaskOccurrencesType'),
      attr('SuppressReadReceipts', 'xs:boolean'),
    ],
    messageType: 'm:ResponseMessageType',
  }),
  op('MoveItem', {
    spec: 'MS-OXWSCORE 3.1.4.7',
    headers: IMR,
    requestBase: 'm:BaseMoveCopyItemType',
    messageType: 'm:ItemInfoResponseMessageType',
  }),
  op('CopyItem', {
    spec: 'MS-OXWSCORE 3.1.4.1',
    headers: IMR,
    requestBase: 'm:BaseMoveCopyItemType',
    messageType: 'm:ItemInfoResponseMessageType',
  }),
  op('SendItem', {
    spec: 'MS-OXWSCORE 3.1.4.8',
    headers: IMR,
    request: [ITEM_IDS, opt('SavedItemFolderId', 't:TargetFolderIdType')],
    requestAttributes: [attr('SaveItemToFolder', 'xs:boolean', 'required')],
    messageType: 'm:ResponseMessageType',
  }),
  op('MarkAllItemsAsRead', {
    spec: 'MS-OXWSCORE 3.1.4.5',
    headers: IMR,
    request: [el('ReadFlag', 'xs:boolean'), el('SuppressReadReceipts', 'xs:boolean'), FOLDER_IDS],
    messageType: 'm:ResponseMessageType',
  }),

  op('MarkAsJunk', {
    spec: 'MS-OXWSCORE 3.1.4.11',
    headers: IMR,
    request: [el('ItemIds', 't:NonEmptyArrayOfBaseItemIdsType')],
    requestAttributes: [attr('IsJunk', 'xs:boolean', 'required'), attr('MoveItem', 'xs:boolean', 'required')],
    messageType: 'm:MarkAsJunkResponseMessageType',
  }),
  op('ExportItems', {
    spec: 'MS-OXWSBTRF 3.1.4.1',
    headers: IMR,
    request: [el('ItemIds', 't:NonEmptyArrayOfBaseItemIdsType')],
    messageType: 'm:ExportItemsResponseMessageType',
  }),
  op('UploadItems', {
    spec: 'MS-OXWSBTRF 3.1.4.2',
    headers: IMR,
    request: [el('Items', 't:NonEmptyArrayOfUploadItemsType')],
    messageType: 'm:UploadItemsResponseMessageType',
  }),

  // ---- attachments [MS-OXWSATT]
  op('GetAttachment', {
    spec: 'MS-OXWSATT 3.1.4.3',
    headers: IMRT,
    request: [
      opt('AttachmentShape', 't:AttachmentResponseShapeType'),
      el('AttachmentIds', 't:NonEmptyArrayOfRequestAttachmentIdsType'),
    ],
    messageType: 'm:AttachmentInfoResponseMessageType',
  }),
  op('CreateAttachment', {
    spec: 'MS-OXWSATT 3.1.4.1',
    headers: IMRT,
    request: [el('ParentItemId', 't:ItemIdType'), el('Attachments', 't:NonEmptyArrayOfAttachmentsType')],
    messageType: 'm:AttachmentInfoResponseMessageType',
  }),
  op('DeleteAttachment', {
    spec: 'MS-OXWSATT 3.1.4.2',
    headers: IMR,
    request: [el('AttachmentIds', 't:NonEmptyArrayOfRequestAttachmentIdsType')],
    messageType: 'm:DeleteAttachmentResponseMessageType',
  }),

  // ---- directory [MS-OXWSRSLNM], [MS-OXWSDLIST]
  op('ResolveNames', {
    spec: 'MS-OXWSRSLNM',
    headers: IMR,
    request: [opt('ParentFolderIds', 't:NonEmptyArrayOfBaseFolderIdsType'), el('UnresolvedEntry', 't:NonEmptyStringType')],
    requestAttributes: [
      attr('ReturnFullContactData', 'xs:boolean', 'required'),
      attr('SearchScope', 't:ResolveNamesSearchScopeType', undefined, 'ActiveDirectoryContacts'),
      attr('ContactDataShape', 't:DefaultShapeNamesType'),
    ],
    messageType: 'm:ResolveNamesResponseMessageType',
  }),
  op('ExpandDL', {
    spec: 'MS-OXWSDLIST',
    headers: IMR,
    request: [el('Mailbox', 't:EmailAddressType')],
    messageType: 'm:ExpandDLResponseMessageType',
  }),
  op('FindPeople', {
    spec: 'MS-OXWSFPPL 3.1.4.1',
    headers: IMR,
    request: [
      opt('PersonaShape', 'm:FindPeoplePersonaShapeType'),
      el('IndexedPageItemView', 't:IndexedPageViewType'),
      opt('Restriction', 't:RestrictionType'),
      opt('AggregationRestriction', 't:RestrictionType'),
      opt('SortOrder', 't:NonEmptyArrayOfFieldOrdersType'),
      opt('ParentFolderId', 't:TargetFolderIdType'),
      opt('QueryString', 'm:FindPeopleQueryStringType'),
      anyLax(),
    ],
    customResponse: {
      element: 'FindPeopleResponse',
      type: complex('FindPeopleResponseMessageType', {
        base: 'm:ResponseMessageType',
        particles: [
          opt('People', 'm:ArrayOfPeopleType'),
          opt('TotalNumberOfPeopleInView', 'xs:int'),
          opt('FirstMatchingRowIndex', 'xs:int'),
          opt('FirstLoadedRowIndex', 'xs:int'),
        ],
      }),
    },
  }),

  // ---- availability [MS-OXWAVLS], time zones [MS-OXWSGTZ]
  op('GetUserAvailability', {
    spec: 'MS-OXWAVLS 3.1.4.1',
    headers: ['ExchangeImpersonation', 'RequestServerVersion', 'TimeZoneContext'],
    requestElement: 'GetUserAvailabilityRequest',
    requestType: 'GetUserAvailabilityRequestType',
    bodyPart: 'GetUserAvailabilityRequest',
    request: [
      ref('t:TimeZone', { min: 0 }),
      el('MailboxDataArray', 't:ArrayOfMailboxData'),
      ref('t:FreeBusyViewOptions', { min: 0 }),
      ref('t:SuggestionsViewOptions', { min: 0 }),
    ],
    customResponse: {
      element: 'GetUserAvailabilityResponse',
      type: complex('GetUserAvailabilityResponseType', {
        particles: [
          opt('FreeBusyResponseArray', 'm:ArrayOfFreeBusyResponse'),
          opt('SuggestionsResponse', 'm:SuggestionsResponseType'),
        ],
      }),
    },
  }),
  op('GetServerTimeZones', {
    spec: 'MS-OXWSGTZ',
    headers: ['MailboxCulture', 'RequestServerVersion'],
    request: [opt('Ids', 't:NonEmptyArrayOfTimeZoneIdType')],
    requestAttributes: [attr('ReturnFullTimeZoneData', 'xs:boolean')],
    messageType: 'm:GetServerTimeZonesResponseMessageType',
  }),

  // ---- notifications [MS-OXWSNTIF], [MS-OXWSSTRM]
  op('Subscribe', {
    spec: 'MS-OXWSNTIF 3.1.4.3',
    headers: IMR,
    request: [
      choice([
        el('PullSubscriptionRequest', 't:PullSubscriptionRequestType'),
        el('PushSubscriptionRequest', 't:PushSubscriptionRequestType'),
        el('StreamingSubscriptionRequest', 't:StreamingSubscriptionRequestType'),
      ]),
    ],
    messageType: 'm:SubscribeResponseMessageType',
  }),
  op('Unsubscribe', {
    spec: 'MS-OXWSNTIF',
    headers: IMR,
    request: [el('SubscriptionId', 't:SubscriptionIdType')],
    messageType: 'm:ResponseMessageType',
  }),
  op('GetEvents', {
    spec: 'MS-OXWSNTIF',
    headers: IMR,
    request: [el('SubscriptionId', 't:SubscriptionIdType'), el('Watermark', 't:WatermarkType')],
    messageType: 'm:GetEventsResponseMessageType',
  }),
  op('GetStreamingEvents', {
    spec: 'MS-OXWSSTRM',
    headers: IMR,
    request: [
      el('SubscriptionIds', 't:NonEmptyArrayOfSubscriptionIdsType'),
      el('ConnectionTimeout', 't:StreamingSubscriptionConnectionTimeoutType'),
    ],
    messageType: 'm:GetStreamingEventsResponseMessageType',
  }),

  // ---- out of office [MS-OXWOOF]
  op('GetUserOofSettings', {
    spec: 'MS-OXWOOF 3.1.4.1',
    headers: ['ExchangeImpersonation', 'RequestServerVersion'],
    requestElement: 'GetUserOofSettingsRequest',
    requestType: 'GetUserOofSettingsRequest',
    bodyPart: 'GetUserOofSettingsRequest',
    request: [ref('t:Mailbox')],
    customResponse: {
      element: 'GetUserOofSettingsResponse',
      type: complex('GetUserOofSettingsResponse', {
        particles: [
          el('ResponseMessage', 'm:ResponseMessageType'),
          ref('t:OofSettings', { min: 0 }),
          opt('AllowExternalOof', 't:ExternalAudience'),
        ],
      }),
    },
  }),
  op('SetUserOofSettings', {
    spec: 'MS-OXWOOF 3.1.4.2',
    headers: ['ExchangeImpersonation', 'RequestServerVersion'],
    requestElement: 'SetUserOofSettingsRequest',
    requestType: 'SetUserOofSettingsRequest',
    bodyPart: 'SetUserOofSettingsRequest',
    request: [ref('t:Mailbox'), ref('t:UserOofSettings')],
    customResponse: {
      element: 'SetUserOofSettingsResponse',
      type: complex('SetUserOofSettingsResponse', { particles: [el('ResponseMessage', 'm:ResponseMessageType')] }),
    },
  }),

  // ---- configuration [MS-OXWSUSRCFG], [MS-OXWSCEXT], [MS-OXWCONFIG], [MS-OXWSCONT]
  op('GetUserConfiguration', {
    spec: 'MS-OXWSUSRCFG 3.1.4.3',
    headers: IMR,
    request: [
      el('UserConfigurationName', 't:UserConfigurationNameType'),
      el('UserConfigurationProperties', 't:UserConfigurationPropertyType'),
    ],
    messageType: 'm:GetUserConfigurationResponseMessageType',
  }),
  op('GetAppMarketplaceUrl', {
    spec: 'MS-OXWSCEXT 3.1.4.3',
    headers: ['RequestServerVersion'],
    request: [opt('ApiVersionSupported', 'xs:string'), opt('SchemaVersionSupported', 'xs:string')],
    customResponse: {
      element: 'GetAppMarketplaceUrlResponse',
      type: complex('GetAppMarketplaceUrlResponseMessageType', {
        base: 'm:ResponseMessageType',
        particles: [opt('AppMarketplaceUrl', 'xs:string')],
      }),
    },
  }),
  op('GetServiceConfiguration', {
    spec: 'MS-OXWCONFIG 3.1.4.1',
    headers: IMR,
    request: [
      opt('ActingAs', 't:EmailAddressType'),
      el('RequestedConfiguration', 'm:ArrayOfServiceConfigurationType'),
      opt('ConfigurationRequestDetails', 't:ConfigurationRequestDetailsType'),
    ],
    customResponse: {
      element: 'GetServiceConfigurationResponse',
      type: complex('GetServiceConfigurationResponseMessageType', {
        base: 'm:ResponseMessageType',
        particles: [opt('ResponseMessages', 'm:ArrayOfServiceConfigurationResponseMessageType')],
      }),
    },
  }),
  op('GetUserPhoto', {
    spec: 'MS-OXWSCONT 3.1.4.7',
    headers: ['RequestServerVersion'],
    request: [el('Email', 'xs:string'), el('SizeRequested', 't:UserPhotoSizeType'), opt('TypeRequested', 't:UserPhotoTypeType')],
    customResponse: {
      element: 'GetUserPhotoResponse',
      type: complex('GetUserPhotoResponseMessageType', {
        base: 'm:ResponseMessageType',
        particles: [opt('HasChanged', 'xs:boolean'), opt('PictureData', 'xs:base64Binary')],
      }),
    },
  }),
];

/** Every operation ewsgate can describe, by name. */
export const OPERATIONS: ReadonlyMap<string, OperationSpec> = new Map(TABLE.map((o) => [o.name, o]));

export const KNOWN_OPERATIONS: readonly string[] = TABLE.map((o) => o.name);

/**
 * The specs for `names`, in the given order. Throws on a name the table does not describe
 * (so the dispatch table can never advertise an undescribed operation) and on duplicates.
 */
export function operationSpecs(names: readonly string[]): OperationSpec[] {
  const seen = new Set<string>();
  const unknown: string[] = [];
  const out: OperationSpec[] = [];
  for (const name of names) {
    if (seen.has(name)) throw new Error(`EWS WSDL: operation "${name}" is listed twice.`);
    seen.add(name);
    const spec = OPERATIONS.get(name);
    if (!spec) unknown.push(name);
    else out.push(spec);
  }
  if (unknown.length > 0) {
    throw new Error(
      `EWS WSDL: no schema description for operation(s) ${unknown.map((n) => `"${n}"`).join(', ')}; ` +
        `describe them in src/wsdl/operations.ts before adding them to the dispatch table.`,
    );
  }
  return out;
}
