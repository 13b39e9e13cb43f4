// The content of ewsgate's types.xsd (namespace http://schemas.microsoft.com/exchange/services/2006/types),
// written from the Microsoft Exchange Web Services open specifications: [MS-OXWSCDATA] (common
// data types), [MS-OXWSCORE] (items), [MS-OXWSFOLD] (folders), [MS-OXWSSRCH] (search), [MS-OXWSSYNC],
// [MS-OXWSATT], [MS-OXWSCVTID], [MS-OXWSNTIF], [MS-OXWSGTZ], [MS-OXWAVLS], [MS-OXWOOF],
// [MS-OXWSUSRCFG], [MS-OXWCONFIG], [MS-OXWSCONT], [MS-OXWSRSLNM], [MS-OXWSXPROP].
//
// Where a full type would be very large and ewsgate only passes it through, the type is given a
// correct but looser definition (`loose()`: any child elements, validated laxly). Substitution
// groups of the original (t:Path, t:SearchExpression, t:Item, t:Folder) are written as the
// equivalent xs:choice of the concrete elements, which accepts exactly the same documents.
import {
  attr,
  choice,
  complex,
  el,
  element,
  enumType,
  loose,
  many,
  opt,
  type ChoiceParticle,
  type Particle,
  type SchemaDef,
} from './xsd.js';

// ------------------------------------------------------------------ enumerations

/** [MS-OXWSCDATA] 2.2.5.15 t:ExchangeVersionType (extended with the later service versions). */
export const EXCHANGE_VERSIONS = [
  'Exchange2007',
  'Exchange2007_SP1',
  'Exchange2010',
  'Exchange2010_SP1',
  'Exchange2010_SP2',
  'Exchange2013',
  'Exchange2013_SP1',
  'Exchange2015',
  'Exchange2016',
  'V2015_10_05',
  'V2016_01_06',
  'V2016_04_13',
  'V2016_07_13',
  'V2016_10_10',
  'V2017_01_07',
  'V2017_04_14',
  'V2017_07_11',
  'V2017_10_09',
  'V2018_01_08',
] as const;

/** [MS-OXWSCDATA] 2.2.5.10 t:DistinguishedFolderIdNameType. */
export const DISTINGUISHED_FOLDER_NAMES = [
  'calendar', 'contacts', 'deleteditems', 'drafts', 'inbox', 'journal', 'notes', 'outbox', 'sentitems', 'tasks',
  'msgfolderroot', 'publicfoldersroot', 'root', 'junkemail', 'searchfolders', 'voicemail',
  'recoverableitemsroot', 'recoverableitemsdeletions', 'recoverableitemsversions', 'recoverableitemspurges',
  'recoverableitemsdiscoveryholds',
  'archiveroot', 'archivemsgfolderroot', 'archivedeleteditems', 'archiveinbox', 'archiverecoverableitemsroot',
  'archiverecoverableitemsdeletions', 'archiverecoverableitemsversions', 'archiverecoverableitemspurges',
  'archiverecoverableitemsdiscoveryholds',
  'syncissues', 'conflicts', 'localfailures', 'serverfailures', 'recipientcache', 'quickcontacts',
  'conversationhistory', 'adminauditlogs', 'todosearch', 'mycontacts', 'directory', 'imcontactlist',
  'peopleconnect', 'favorites', 'mecontact', 'personmetadata', 'teamspaceactivity', 'teamspacemessaging',
  'teamspaceworkitems', 'scheduled', 'orionnotes', 'tagitems', 'alltaggeditems', 'externalcontacts', 'teamchat',
  'yammerroot', 'yammerinbound', 'yammeroutbound', 'yammerfeeds', 'kaizaladata', 'messageingestion',
  'onedriveroot', 'onedriverecylebin', 'onedrivesystem', 'onedrivevolume', 'important', 'starred', 'archive',
] as const;

/**
 * Response codes ([MS-OXWSCDATA] 2.2.5.24 ResponseCodeType). A generous list: every code ewsgate
 * can produce plus the ones clients commonly test for.
 */
export const RESPONSE_CODES: readonly string[] = [
  ...new Set([
    'NoError',
    'ErrorAccessDenied', 'ErrorAccountDisabled', 'ErrorAddressSpaceNotFound', 'ErrorADOperation',
    'ErrorADSessionFilter', 'ErrorADUnavailable', 'ErrorAffectedTaskOccurrencesRequired',
    'ErrorArchiveFolderPathCreation', 'ErrorArchiveMailboxNotEnabled', 'ErrorArchiveMailboxServiceDiscoveryFailed',
    'ErrorAttachmentNestLevelLimitExceeded', 'ErrorAttachmentSizeLimitExceeded', 'ErrorAutoDiscoverFailed',
    'ErrorAvailabilityConfigNotFound', 'ErrorBatchProcessingStopped',
    'ErrorCalendarCannotMoveOrCopyOccurrence', 'ErrorCalendarCannotUpdateDeletedItem',
    'ErrorCalendarCannotUseIdForOccurrenceId', 'ErrorCalendarCannotUseIdForRecurringMasterId',
    'ErrorCalendarDurationIsTooLong', 'ErrorCalendarEndDateIsEarlierThanStartDate',
    'ErrorCalendarFolderIsInvalidForCalendarView', 'ErrorCalendarInvalidAttributeValue',
    'ErrorCalendarInvalidDayForTimeChangePattern', 'ErrorCalendarInvalidDayForWeeklyRecurrence',
    'ErrorCalendarInvalidPropertyState', 'ErrorCalendarInvalidPropertyValue', 'ErrorCalendarInvalidRecurrence',
    'ErrorCalendarInvalidTimeZone', 'ErrorCalendarIsCancelledForAccept', 'ErrorCalendarIsCancelledForDecline',
    'ErrorCalendarIsCancelledForRemove', 'ErrorCalendarIsCancelledForTentative', 'ErrorCalendarIsDelegatedForAccept',
    'ErrorCalendarIsDelegatedForDecline', 'ErrorCalendarIsDelegatedForRemove', 'ErrorCalendarIsDelegatedForTentative',
    'ErrorCalendarIsNotOrganizer', 'ErrorCalendarIsOrganizerForAccept', 'ErrorCalendarIsOrganizerForDecline',
    'ErrorCalendarIsOrganizerForRemove', 'ErrorCalendarIsOrganizerForTentative',
    'ErrorCalendarMeetingRequestIsOutOfDate', 'ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange',
    'ErrorCalendarOccurrenceIsDeletedFromRecurrence', 'ErrorCalendarOutOfRange', 'ErrorCalendarViewRangeTooBig',
    'ErrorCallerIsInvalidADAccount', 'ErrorCannotCreateCalendarItemInNonCalendarFolder',
    'ErrorCannotCreateContactInNonContactFolder', 'ErrorCannotCreatePostItemInNonMailFolder',
    'ErrorCannotCreateTaskInNonTaskFolder', 'ErrorCannotDeleteObject', 'ErrorCannotDeleteTaskOccurrence',
    'ErrorCannotEmptyFolder', 'ErrorCannotOpenFileAttachment', 'ErrorCannotSetCalendarPermissionOnNonCalendarFolder',
    'ErrorCannotSetNonCalendarPermissionOnCalendarFolder', 'ErrorCannotSetPermissionUnknownEntries',
    'ErrorCannotUseFolderIdForItemId', 'ErrorCannotUseItemIdForFolderId', 'ErrorChangeKeyRequired',
    'ErrorChangeKeyRequiredForWriteOperations', 'ErrorClientDisconnected', 'ErrorConnectionFailed',
    'ErrorContainsFilterWrongType', 'ErrorContentConversionFailed', 'ErrorCorruptData', 'ErrorCreateItemAccessDenied',
    'ErrorCreateManagedFolderPartialCompletion', 'ErrorCreateSubfolderAccessDenied', 'ErrorCrossMailboxMoveCopy',
    'ErrorCrossSiteRequest', 'ErrorDataSizeLimitExceeded', 'ErrorDataSourceOperation', 'ErrorDelegateAlreadyExists',
    'ErrorDelegateCannotAddOwner', 'ErrorDelegateMissingConfiguration', 'ErrorDelegateNoUser',
    'ErrorDelegateValidationFailed', 'ErrorDeleteDistinguishedFolder', 'ErrorDeleteItemsFailed',
    'ErrorDistinguishedUserNotSupported', 'ErrorDistributionListMemberNotExist', 'ErrorDuplicateInputFolderNames',
    'ErrorDuplicateSOAPHeader', 'ErrorDuplicateUserIdsSpecified', 'ErrorEmailAddressMismatch', 'ErrorEventNotFound',
    'ErrorExceededConnectionCount', 'ErrorExceededFindCountLimit', 'ErrorExceededSubscriptionCount',
    'ErrorExpiredSubscription', 'ErrorFolderCorrupt', 'ErrorFolderExists', 'ErrorFolderNotFound',
    'ErrorFolderPropertRequestFailed', 'ErrorFolderSave', 'ErrorFolderSaveFailed', 'ErrorFolderSavePropertyError',
    'ErrorFreeBusyDLLimitReached', 'ErrorFreeBusyGenerationFailed', 'ErrorGetServerSecurityDescriptorFailed',
    'ErrorImpersonateUserDenied', 'ErrorImpersonationDenied', 'ErrorImpersonationFailed',
    'ErrorInboxRulesValidationError', 'ErrorIncorrectSchemaVersion', 'ErrorIncorrectUpdatePropertyCount',
    'ErrorIndividualMailboxLimitReached', 'ErrorInsufficientResources', 'ErrorInternalServerError',
    'ErrorInternalServerTransientError', 'ErrorInvalidAccessLevel', 'ErrorInvalidArgument', 'ErrorInvalidAttachmentId',
    'ErrorInvalidAttachmentSubfilter', 'ErrorInvalidAttachmentSubfilterTextFilter', 'ErrorInvalidAuthorizationContext',
    'ErrorInvalidChangeKey', 'ErrorInvalidClientSecurityContext', 'ErrorInvalidCompleteDate',
    'ErrorInvalidContactEmailAddress', 'ErrorInvalidContactEmailIndex', 'ErrorInvalidCrossForestCredentials',
    'ErrorInvalidDelegatePermission', 'ErrorInvalidDelegateUserId', 'ErrorInvalidExchangeImpersonationHeaderData',
    'ErrorInvalidExcludesRestriction', 'ErrorInvalidExpressionTypeForSubFilter', 'ErrorInvalidExtendedProperty',
    'ErrorInvalidExtendedPropertyValue', 'ErrorInvalidFolderId', 'ErrorInvalidFolderTypeForOperation',
    'ErrorInvalidFractionalPagingParameters', 'ErrorInvalidFreeBusyViewType', 'ErrorInvalidId', 'ErrorInvalidIdEmpty',
    'ErrorInvalidIdMalformed', 'ErrorInvalidIdMalformedEwsLegacyIdFormat', 'ErrorInvalidIdMonikerTooLong',
    'ErrorInvalidIdNotAnItemAttachmentId', 'ErrorInvalidIdReturnedByResolveNames', 'ErrorInvalidIdStoreObjectIdTooLong',
    'ErrorInvalidIdTooManyAttachmentLevels', 'ErrorInvalidIdXml', 'ErrorInvalidIndexedPagingParameters',
    'ErrorInvalidInternetHeaderChildNodes', 'ErrorInvalidItemForOperationAcceptItem',
    'ErrorInvalidItemForOperationCancelItem', 'ErrorInvalidItemForOperationCreateItem',
    'ErrorInvalidItemForOperationCreateItemAttachment', 'ErrorInvalidItemForOperationDeclineItem',
    'ErrorInvalidItemForOperationExpandDL', 'ErrorInvalidItemForOperationRemoveItem',
    'ErrorInvalidItemForOperationSendItem', 'ErrorInvalidItemForOperationTentative', 'ErrorInvalidLicense',
    'ErrorInvalidLogonType', 'ErrorInvalidMailbox', 'ErrorInvalidManagedFolderProperty', 'ErrorInvalidManagedFolderQuota',
    'ErrorInvalidManagedFolderSize', 'ErrorInvalidManagementRoleHeader', 'ErrorInvalidMergedFreeBusyInterval',
    'ErrorInvalidNameForNameResolution', 'ErrorInvalidNetworkServiceContext', 'ErrorInvalidOofParameter',
    'ErrorInvalidOperation', 'ErrorInvalidPagingMaxRows', 'ErrorInvalidParentFolder', 'ErrorInvalidPercentCompleteValue',
    'ErrorInvalidPermissionSettings', 'ErrorInvalidPhoneCallId', 'ErrorInvalidPhoneNumber', 'ErrorInvalidPhotoSize',
    'ErrorInvalidPropertyAppend', 'ErrorInvalidPropertyDelete', 'ErrorInvalidPropertyForExists',
    'ErrorInvalidPropertyForOperation', 'ErrorInvalidPropertyRequest', 'ErrorInvalidPropertySet',
    'ErrorInvalidPropertyUpdateSentMessage', 'ErrorInvalidProxySecurityContext', 'ErrorInvalidPullSubscriptionId',
    'ErrorInvalidPushSubscriptionUrl', 'ErrorInvalidRecipients', 'ErrorInvalidRecipientSubfilter',
    'ErrorInvalidRecipientSubfilterComparison', 'ErrorInvalidRecipientSubfilterOrder',
    'ErrorInvalidRecipientSubfilterTextFilter', 'ErrorInvalidReferenceItem', 'ErrorInvalidRequest',
    'ErrorInvalidRestriction', 'ErrorInvalidRoutingType', 'ErrorInvalidScheduledOofDuration',
    'ErrorInvalidSchemaVersionForMailboxVersion', 'ErrorInvalidSecurityDescriptor', 'ErrorInvalidSendItemSaveSettings',
    'ErrorInvalidSerializedAccessToken', 'ErrorInvalidServerVersion', 'ErrorInvalidSid', 'ErrorInvalidSIPUri',
    'ErrorInvalidSmtpAddress', 'ErrorInvalidSubfilterType', 'ErrorInvalidSubfilterTypeNotAttendeeType',
    'ErrorInvalidSubfilterTypeNotRecipientType', 'ErrorInvalidSubscription', 'ErrorInvalidSubscriptionRequest',
    'ErrorInvalidSyncStateData', 'ErrorInvalidTimeInterval', 'ErrorInvalidUserInfo', 'ErrorInvalidUserOofSettings',
    'ErrorInvalidUserPrincipalName', 'ErrorInvalidUserSid', 'ErrorInvalidUserSidMissingUPN',
    'ErrorInvalidValueForProperty', 'ErrorInvalidWatermark', 'ErrorIPGatewayNotFound', 'ErrorIrresolvableConflict',
    'ErrorItemCorrupt', 'ErrorItemNotFound', 'ErrorItemPropertyRequestFailed', 'ErrorItemSave',
    'ErrorItemSavePropertyError', 'ErrorLegacyMailboxFreeBusyViewTypeNotMerged', 'ErrorLocalServerObjectNotFound',
    'ErrorLogonAsNetworkServiceFailed', 'ErrorMailboxConfiguration', 'ErrorMailboxDataArrayEmpty',
    'ErrorMailboxDataArrayTooBig', 'ErrorMailboxFailover', 'ErrorMailboxLogonFailed', 'ErrorMailboxMoveInProgress',
    'ErrorMailboxStoreUnavailable', 'ErrorMailRecipientNotFound', 'ErrorMailTipsDisabled',
    'ErrorManagedFolderAlreadyExists', 'ErrorManagedFolderNotFound', 'ErrorManagedFoldersRootFailure',
    'ErrorMeetingSuggestionGenerationFailed', 'ErrorMessageDispositionRequired', 'ErrorMessageSizeExceeded',
    'ErrorMimeContentConversionFailed', 'ErrorMimeContentInvalid', 'ErrorMimeContentInvalidBase64String',
    'ErrorMissedNotificationEvents', 'ErrorMissingArgument', 'ErrorMissingEmailAddress',
    'ErrorMissingEmailAddressForManagedFolder', 'ErrorMissingInformationEmailAddress',
    'ErrorMissingInformationReferenceItemId', 'ErrorMissingItemForCreateItemAttachment', 'ErrorMissingManagedFolderId',
    'ErrorMissingRecipients', 'ErrorMissingUserIdInformation', 'ErrorMoreThanOneAccessModeSpecified',
    'ErrorMoveCopyFailed', 'ErrorMoveDistinguishedFolder', 'ErrorNameResolutionMultipleResults',
    'ErrorNameResolutionNoMailbox', 'ErrorNameResolutionNoResults', 'ErrorNewEventStreamConnectionOpened',
    'ErrorNoApplicableProxyCASServersAvailable', 'ErrorNoCalendar', 'ErrorNoDestinationCASDueToKerberosRequirements',
    'ErrorNoDestinationCASDueToSSLRequirements', 'ErrorNoDestinationCASDueToVersionMismatch',
    'ErrorNoFolderClassOverride', 'ErrorNoFreeBusyAccess', 'ErrorNonExistentMailbox', 'ErrorNonPrimarySmtpAddress',
    'ErrorNoPropertyTagForCustomProperties', 'ErrorNoPublicFolderReplicaAvailable', 'ErrorNoPublicFolderServerAvailable',
    'ErrorNoRespondingCASInDestinationSite', 'ErrorNotDelegate', 'ErrorNotEnoughMemory', 'ErrorObjectTypeChanged',
    'ErrorOccurrenceCrossingBoundary', 'ErrorOccurrenceTimeSpanTooBig', 'ErrorOperationNotAllowedWithPublicFolderRoot',
    'ErrorParentFolderIdRequired', 'ErrorParentFolderNotFound', 'ErrorPasswordChangeRequired', 'ErrorPasswordExpired',
    'ErrorPropertyUpdate', 'ErrorPropertyValidationFailure', 'ErrorProxiedSubscriptionCallFailure',
    'ErrorProxyCallFailed', 'ErrorProxyGroupSidLimitExceeded', 'ErrorProxyRequestNotAllowed',
    'ErrorProxyRequestProcessingFailed', 'ErrorProxyServiceDiscoveryFailed', 'ErrorProxyTokenExpired',
    'ErrorPublicFolderRequestProcessingFailed', 'ErrorPublicFolderServerNotFound', 'ErrorQueryFilterTooLong',
    'ErrorQuotaExceeded', 'ErrorReadEventsFailed', 'ErrorReadReceiptNotPending', 'ErrorRecurrenceEndDateTooBig',
    'ErrorRecurrenceHasNoOccurrence', 'ErrorRemoveDelegatesFailed', 'ErrorRequestAborted', 'ErrorRequestStreamTooBig',
    'ErrorRequiredPropertyMissing', 'ErrorResolveNamesInvalidFolderType',
    'ErrorResolveNamesOnlyOneContactsFolderAllowed', 'ErrorResponseSchemaValidation', 'ErrorRestrictionTooComplex',
    'ErrorRestrictionTooLong', 'ErrorResultSetTooBig', 'ErrorSavedItemFolderNotFound', 'ErrorSchemaValidation',
    'ErrorSearchFolderNotInitialized', 'ErrorSendAsDenied', 'ErrorSendMeetingCancellationsRequired',
    'ErrorSendMeetingInvitationsOrCancellationsRequired', 'ErrorSendMeetingInvitationsRequired',
    'ErrorSentMeetingRequestUpdate', 'ErrorSentTaskRequestUpdate', 'ErrorServerBusy', 'ErrorServiceDiscoveryFailed',
    'ErrorStaleObject', 'ErrorSubmissionQuotaExceeded', 'ErrorSubscriptionAccessDenied',
    'ErrorSubscriptionDelegateAccessNotSupported', 'ErrorSubscriptionNotFound', 'ErrorSubscriptionUnsubscribed',
    'ErrorSyncFolderNotFound', 'ErrorTimeIntervalTooBig', 'ErrorTimeoutExpired', 'ErrorTimeZone',
    'ErrorToFolderNotFound', 'ErrorTokenSerializationDenied', 'ErrorTooManyObjectsOpened',
    'ErrorUnableToGetUserOofSettings', 'ErrorUnifiedMessagingDialPlanNotFound', 'ErrorUnifiedMessagingRequestFailed',
    'ErrorUnifiedMessagingServerNotFound', 'ErrorUnsupportedCulture', 'ErrorUnsupportedMapiPropertyType',
    'ErrorUnsupportedMimeConversion', 'ErrorUnsupportedPathForQuery', 'ErrorUnsupportedPathForSortGroup',
    'ErrorUnsupportedPropertyDefinition', 'ErrorUnsupportedQueryFilter', 'ErrorUnsupportedRecurrence',
    'ErrorUnsupportedSubFilter', 'ErrorUnsupportedTypeForConversion', 'ErrorUpdateDelegatesFailed',
    'ErrorUpdatePropertyMismatch', 'ErrorUserNotAllowedByPolicy', 'ErrorUserNotUnifiedMessagingEnabled',
    'ErrorValueOutOfRange', 'ErrorVirusDetected', 'ErrorVirusMessageDeleted', 'ErrorVoiceMailNotImplemented',
    'ErrorWebRequestInInvalidState', 'ErrorWin32InteropError', 'ErrorWorkingHoursSaveFailed',
    'ErrorWorkingHoursXmlMalformed', 'ErrorWrongServerVersion', 'ErrorWrongServerVersionDelegate',
    'ErrorMessageTrackingPermanentError', 'ErrorMessageTrackingTransientError', 'ErrorApplyConversationActionFailed',
    'ErrorOrganizationNotFederated', 'ErrorNotAllowedExternalSharingByPolicy', 'ErrorPermissionNotAllowedByPolicy',
    'ErrorInvalidSharingData', 'ErrorInvalidSharingMessage', 'ErrorNotSupportedSharingMessage',
    'ErrorSharingSynchronizationFailed', 'ErrorSharingNoExternalEwsAvailable', 'ErrorInvalidGetSharingFolderRequest',
    'ErrorMissingInformationSharingFolderId', 'ErrorInvalidClientAccessTokenRequest', 'ErrorTeamMailboxNotFound',
    'ErrorSearchQueryHasTooManyKeywords', 'ErrorSearchTooManyMailboxes', 'ErrorDiscoverySearchesDisabled',
    'ErrorInvalidRetentionTagNone', 'ErrorOrganizationAccessBlocked', 'ErrorCalendarSeekToConditionNotSupported',
  ]),
];

// ------------------------------------------------------------------ shared particle groups

const PATH: readonly Particle[] = [
  el('FieldURI', 't:PathToUnindexedFieldType'),
  el('IndexedFieldURI', 't:PathToIndexedFieldType'),
  el('ExtendedFieldURI', 't:PathToExtendedFieldType'),
];
/** The t:Path substitution group. */
const path = (min = 1, max: number | 'unbounded' = 1): ChoiceParticle => choice(PATH, { min, max });

const SEARCH_EXPRESSIONS: readonly Particle[] = [
  el('Exists', 't:ExistsType'),
  el('Excludes', 't:ExcludesType'),
  el('IsEqualTo', 't:IsEqualToType'),
  el('IsNotEqualTo', 't:IsNotEqualToType'),
  el('IsGreaterThan', 't:IsGreaterThanType'),
  el('IsGreaterThanOrEqualTo', 't:IsGreaterThanOrEqualToType'),
  el('IsLessThan', 't:IsLessThanType'),
  el('IsLessThanOrEqualTo', 't:IsLessThanOrEqualToType'),
  el('Contains', 't:ContainsExpressionType'),
  el('Not', 't:NotType'),
  el('And', 't:AndType'),
  el('Or', 't:OrType'),
];
/** The t:SearchExpression substitution group. */
const searchExpression = (min = 1, max: number | 'unbounded' = 1): ChoiceParticle =>
  choice(SEARCH_EXPRESSIONS, { min, max });

const FOLDERS: readonly Particle[] = [
  el('Folder', 't:FolderType'),
  el('CalendarFolder', 't:CalendarFolderType'),
  el('ContactsFolder', 't:ContactsFolderType'),
  el('SearchFolder', 't:SearchFolderType'),
  el('TasksFolder', 't:TasksFolderType'),
];

const REAL_ITEMS: readonly Particle[] = [
  el('Item', 't:ItemType'),
  el('Message', 't:MessageType'),
  el('MeetingMessage', 't:MeetingMessageType'),
  el('MeetingRequest', 't:MeetingRequestMessageType'),
  el('MeetingResponse', 't:MeetingResponseMessageType'),
  el('MeetingCancellation', 't:MeetingCancellationMessageType'),
  el('CalendarItem', 't:CalendarItemType'),
  el('Contact', 't:ContactItemType'),
  el('DistributionList', 't:DistributionListType'),
  el('PostItem', 't:PostItemType'),
  el('Task', 't:TaskType'),
];

const RESPONSE_OBJECTS: readonly Particle[] = [
  el('ReplyToItem', 't:ReplyToItemType'),
  el('ForwardItem', 't:ForwardItemType'),
  el('ReplyAllToItem', 't:ReplyAllToItemType'),
  el('AcceptItem', 't:AcceptItemType'),
  el('TentativelyAcceptItem', 't:TentativelyAcceptItemType'),
  el('DeclineItem', 't:DeclineItemType'),
  el('CancelCalendarItem', 't:CancelCalendarItemType'),
  el('RemoveItem', 't:RemoveItemType'),
  el('SuppressReadReceipt', 't:SuppressReadReceiptType'),
  el('PostReplyItem', 't:PostReplyItemType'),
  el('AcceptSharingInvitation', 't:AcceptSharingInvitationType'),
];

const ITEM_IDS: readonly Particle[] = [
  el('ItemId', 't:ItemIdType'),
  el('OccurrenceItemId', 't:OccurrenceItemIdType'),
  el('RecurringMasterItemId', 't:RecurringMasterItemIdType'),
];

const FOLDER_IDS: readonly Particle[] = [
  el('FolderId', 't:FolderIdType'),
  el('DistinguishedFolderId', 't:DistinguishedFolderIdType'),
];

/** Paging attributes of FindFolder/FindItem/ResolveNames/ExpandDL results ([MS-OXWSSRCH]). */
const PAGING_RESULT_ATTRIBUTES = [
  attr('IndexedPagingOffset', 'xs:int'),
  attr('NumeratorOffset', 'xs:int'),
  attr('AbsoluteDenominator', 'xs:int'),
  attr('IncludesLastItemInRange', 'xs:boolean'),
  attr('TotalItemsInView', 'xs:int'),
];

// ------------------------------------------------------------------ the schema

export const TYPES_SCHEMA: readonly SchemaDef[] = [
  // ---- SOAP headers ([MS-OXWSCDATA] 2.2.3, [MS-OXWSGTZ] 2.2.3.4)
  {
    kind: 'element',
    name: 'RequestServerVersion',
    doc: 'SOAP header: the schema version the client targets.',
    complex: { attributes: [attr('Version', 't:ExchangeVersionType', 'required')], anyAttribute: true },
  },
  {
    kind: 'element',
    name: 'ServerVersionInfo',
    doc: 'SOAP header: the version of the server that answered.',
    complex: {
      attributes: [
        attr('MajorVersion', 'xs:int'),
        attr('MinorVersion', 'xs:int'),
        attr('MajorBuildNumber', 'xs:int'),
        attr('MinorBuildNumber', 'xs:int'),
        attr('Version', 'xs:string'),
      ],
      anyAttribute: true,
    },
  },
  element('ExchangeImpersonation', 't:ExchangeImpersonationType', 'SOAP header: the account the caller acts as.'),
  element('MailboxCulture', 't:MailboxCultureType', 'SOAP header: the culture (RFC 3066) used to access the mailbox.'),
  element('TimeZoneContext', 't:TimeZoneContextType', 'SOAP header: the default time zone for date-time values.'),
  enumType('ExchangeVersionType', EXCHANGE_VERSIONS),
  complex('ExchangeImpersonationType', { particles: [el('ConnectingSID', 't:ConnectingSIDType')], anyAttribute: true }),
  complex('ConnectingSIDType', {
    particles: [
      choice([
        el('PrincipalName', 'xs:string'),
        el('SID', 'xs:string'),
        el('PrimarySmtpAddress', 'xs:string'),
        el('SmtpAddress', 'xs:string'),
      ]),
    ],
  }),
  complex('MailboxCultureType', { simpleBase: 'xs:language', anyAttribute: true }),
  complex('TimeZoneContextType', {
    particles: [el('TimeZoneDefinition', 't:TimeZoneDefinitionType')],
    anyAttribute: true,
  }),
  complex('TimeZoneDefinitionType', {
    particles: [
      opt('Periods', 't:NonEmptyArrayOfPeriodsType'),
      opt('TransitionsGroups', 't:ArrayOfTransitionsGroupsType'),
      opt('Transitions', 't:ArrayOfTransitionsType'),
    ],
    attributes: [attr('Id', 'xs:string'), attr('Name', 'xs:string')],
  }),
  loose('NonEmptyArrayOfPeriodsType'),
  loose('ArrayOfTransitionsGroupsType'),
  loose('ArrayOfTransitionsType'),
  complex('ArrayOfTimeZoneDefinitionType', { particles: [many('TimeZoneDefinition', 't:TimeZoneDefinitionType')] }),
  complex('NonEmptyArrayOfTimeZoneIdType', { particles: [many('Id', 'xs:string', 1)] }),

  // ---- response status ([MS-OXWSCDATA] 2.2.5.23, 2.2.5.24)
  enumType('ResponseClassType', ['Success', 'Warning', 'Error']),
  enumType('ResponseCodeType', RESPONSE_CODES),

  // ---- basic simple types
  { kind: 'simple', name: 'NonEmptyStringType', minLength: 1 },
  { kind: 'simple', name: 'GuidType', pattern: '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}' },
  { kind: 'simple', name: 'ItemClassType' },
  complex('ArrayOfStringsType', { particles: [many('String', 'xs:string')] }),
  enumType('DisposalType', ['HardDelete', 'SoftDelete', 'MoveToDeletedItems']),
  enumType('DefaultShapeNamesType', ['IdOnly', 'Default', 'AllProperties', 'PcxPeopleSearch']),
  enumType('BodyTypeType', ['HTML', 'Text']),
  enumType('BodyTypeResponseType', ['Best', 'HTML', 'Text']),
  enumType('SensitivityChoicesType', ['Normal', 'Personal', 'Private', 'Confidential']),
  enumType('ImportanceChoicesType', ['Low', 'Normal', 'High']),
  enumType('MailboxTypeType', [
    'Unknown', 'OneOff', 'Mailbox', 'PublicDL', 'PrivateDL', 'Contact', 'PublicFolder', 'GroupMailbox', 'ImplicitContact', 'User',
  ]),
  { kind: 'simple', name: 'ReminderMinutesBeforeStartType', base: 'xs:int' },

  // ---- property paths ([MS-OXWSCDATA] 2.2.4.x, [MS-OXWSXPROP])
  complex('BasePathToElementType', { abstract: true }),
  complex('PathToUnindexedFieldType', {
    base: 't:BasePathToElementType',
    attributes: [attr('FieldURI', 't:UnindexedFieldURIType', 'required')],
  }),
  {
    kind: 'simple',
    name: 'UnindexedFieldURIType',
    doc: 'A property URI such as folder:DisplayName or item:Subject (kept open as a pattern).',
    pattern: '[A-Za-z]+:[A-Za-z0-9]+',
  },
  complex('PathToIndexedFieldType', {
    base: 't:BasePathToElementType',
    attributes: [attr('FieldURI', 't:DictionaryURIType', 'required'), attr('FieldIndex', 'xs:string', 'required')],
  }),
  enumType('DictionaryURIType', [
    'item:InternetMessageHeader',
    'contacts:ImAddress',
    'contacts:PhysicalAddress:Street',
    'contacts:PhysicalAddress:City',
    'contacts:PhysicalAddress:State',
    'contacts:PhysicalAddress:CountryOrRegion',
    'contacts:PhysicalAddress:PostalCode',
    'contacts:PhoneNumber',
    'contacts:EmailAddress',
    'distributionlist:Members:Member',
  ]),
  complex('PathToExtendedFieldType', {
    base: 't:BasePathToElementType',
    attributes: [
      attr('DistinguishedPropertySetId', 't:DistinguishedPropertySetType'),
      attr('PropertySetId', 't:GuidType'),
      attr('PropertyTag', 't:PropertyTagType'),
      attr('PropertyName', 'xs:string'),
      attr('PropertyId', 'xs:int'),
      attr('PropertyType', 't:MapiPropertyTypeType', 'required'),
    ],
  }),
  enumType('DistinguishedPropertySetType', [
    'Meeting', 'Appointment', 'Common', 'PublicStrings', 'Address', 'InternetHeaders', 'CalendarAssistant',
    'UnifiedMessaging', 'Task', 'Sharing',
  ]),
  { kind: 'simple', name: 'PropertyTagType', union: ['xs:unsignedShort', 't:HexPropertyTagType'] },
  { kind: 'simple', name: 'HexPropertyTagType', pattern: '(0x|0X)[0-9A-Fa-f]{1,4}' },
  enumType('MapiPropertyTypeType', [
    'ApplicationTime', 'ApplicationTimeArray', 'Binary', 'BinaryArray', 'Boolean', 'CLSID', 'CLSIDArray', 'Currency',
    'CurrencyArray', 'Double', 'DoubleArray', 'Error', 'Float', 'FloatArray', 'Integer', 'IntegerArray', 'Long',
    'LongArray', 'Null', 'Object', 'ObjectArray', 'Short', 'ShortArray', 'SystemTime', 'SystemTimeArray', 'String',
    'StringArray',
  ]),
  complex('NonEmptyArrayOfPathsToElementType', { particles: [path(1, 'unbounded')] }),
  complex('ExtendedPropertyType', {
    particles: [
      el('ExtendedFieldURI', 't:PathToExtendedFieldType'),
      choice([el('Value', 'xs:string'), el('Values', 't:NonEmptyArrayOfPropertyValuesType')]),
    ],
  }),
  complex('NonEmptyArrayOfPropertyValuesType', { particles: [many('Value', 'xs:string', 1)] }),

  // ---- response shapes
  element('BaseShape', 't:DefaultShapeNamesType'),
  complex('FolderResponseShapeType', {
    particles: [el('BaseShape', 't:DefaultShapeNamesType'), opt('AdditionalProperties', 't:NonEmptyArrayOfPathsToElementType')],
  }),
  complex('ItemResponseShapeType', {
    particles: [
      el('BaseShape', 't:DefaultShapeNamesType'),
      opt('IncludeMimeContent', 'xs:boolean'),
      opt('BodyType', 't:BodyTypeResponseType'),
      opt('UniqueBodyType', 't:BodyTypeResponseType'),
      opt('NormalizedBodyType', 't:BodyTypeResponseType'),
      opt('FilterHtmlContent', 'xs:boolean'),
      opt('ConvertHtmlCodePageToUTF8', 'xs:boolean'),
      opt('InlineImageUrlTemplate', 'xs:string'),
      opt('BlockExternalImages', 'xs:boolean'),
      opt('AddBlankTargetToLinks', 'xs:boolean'),
      opt('MaximumBodySize', 'xs:int'),
      opt('AdditionalProperties', 't:NonEmptyArrayOfPathsToElementType'),
    ],
  }),
  complex('AttachmentResponseShapeType', {
    particles: [
      opt('IncludeMimeContent', 'xs:boolean'),
      opt('BodyType', 't:BodyTypeResponseType'),
      opt('FilterHtmlContent', 'xs:boolean'),
      opt('AdditionalProperties', 't:NonEmptyArrayOfPathsToElementType'),
    ],
  }),

  // ---- folder ids ([MS-OXWSCDATA], [MS-OXWSFOLD])
  complex('BaseFolderIdType', { abstract: true }),
  complex('FolderIdType', {
    base: 't:BaseFolderIdType',
    attributes: [attr('Id', 'xs:string', 'required'), attr('ChangeKey', 'xs:string')],
  }),
  complex('DistinguishedFolderIdType', {
    base: 't:BaseFolderIdType',
    particles: [opt('Mailbox', 't:EmailAddressType')],
    attributes: [attr('Id', 't:DistinguishedFolderIdNameType', 'required'), attr('ChangeKey', 'xs:string')],
  }),
  enumType('DistinguishedFolderIdNameType', DISTINGUISHED_FOLDER_NAMES),
  complex('NonEmptyArrayOfBaseFolderIdsType', { particles: [choice(FOLDER_IDS, { max: 'unbounded' })] }),
  complex('TargetFolderIdType', { particles: [choice(FOLDER_IDS)] }),

  // ---- item ids
  complex('BaseItemIdType', { abstract: true }),
  complex('ItemIdType', {
    base: 't:BaseItemIdType',
    attributes: [attr('Id', 'xs:string', 'required'), attr('ChangeKey', 'xs:string')],
  }),
  complex('OccurrenceItemIdType', {
    base: 't:BaseItemIdType',
    attributes: [
      attr('RecurringMasterId', 't:DerivedItemIdType', 'required'),
      attr('ChangeKey', 'xs:string'),
      attr('InstanceIndex', 'xs:int', 'required'),
    ],
  }),
  complex('RecurringMasterItemIdType', {
    base: 't:BaseItemIdType',
    attributes: [attr('OccurrenceId', 't:DerivedItemIdType', 'required'), attr('ChangeKey', 'xs:string')],
  }),
  { kind: 'simple', name: 'DerivedItemIdType', minLength: 1 },
  complex('NonEmptyArrayOfBaseItemIdsType', { particles: [choice(ITEM_IDS, { max: 'unbounded' })] }),
  complex('ArrayOfBaseItemIdsType', { particles: [choice(ITEM_IDS, { min: 0, max: 'unbounded' })] }),
  complex('UploadItemType', {
    particles: [el('ParentFolderId', 't:FolderIdType'), opt('ItemId', 't:ItemIdType'), el('Data', 'xs:base64Binary')],
    attributes: [attr('CreateAction', 't:CreateActionType', 'required'), attr('IsAssociated', 'xs:boolean')],
  }),
  enumType('CreateActionType', ['CreateNew', 'Update', 'UpdateOrCreate']),
  complex('NonEmptyArrayOfUploadItemsType', { particles: [el('Item', 't:UploadItemType', { max: 'unbounded' })] }),
  complex('RootItemIdType', {
    attributes: [attr('RootItemId', 'xs:string', 'required'), attr('RootItemChangeKey', 'xs:string', 'required')],
  }),

  // ---- folders ([MS-OXWSFOLD] 2.2.4)
  complex('BaseFolderType', {
    abstract: true,
    particles: [
      opt('FolderId', 't:FolderIdType'),
      opt('ParentFolderId', 't:FolderIdType'),
      opt('FolderClass', 'xs:string'),
      opt('DisplayName', 'xs:string'),
      opt('TotalCount', 'xs:int'),
      opt('ChildFolderCount', 'xs:int'),
      many('ExtendedProperty', 't:ExtendedPropertyType'),
      opt('ManagedFolderInformation', 't:ManagedFolderInformationType'),
      opt('EffectiveRights', 't:EffectiveRightsType'),
      opt('DistinguishedFolderId', 't:DistinguishedFolderIdNameType'),
      opt('PolicyTag', 't:RetentionTagType'),
      opt('ArchiveTag', 't:RetentionTagType'),
      opt('ReplicaList', 't:ArrayOfStringsType'),
    ],
  }),
  complex('FolderType', {
    base: 't:BaseFolderType',
    particles: [opt('PermissionSet', 't:PermissionSetType'), opt('UnreadCount', 'xs:int')],
  }),
  complex('CalendarFolderType', {
    base: 't:BaseFolderType',
    particles: [
      opt('SharingEffectiveRights', 't:CalendarPermissionReadAccessType'),
      opt('PermissionSet', 't:CalendarPermissionSetType'),
    ],
  }),
  complex('ContactsFolderType', {
    base: 't:BaseFolderType',
    particles: [
      opt('SharingEffectiveRights', 't:PermissionReadAccessType'),
      opt('PermissionSet', 't:PermissionSetType'),
      opt('SourceId', 'xs:string'),
      opt('AccountName', 'xs:string'),
    ],
  }),
  complex('SearchFolderType', { base: 't:FolderType', particles: [opt('SearchParameters', 't:SearchParametersType')] }),
  complex('TasksFolderType', { base: 't:FolderType' }),
  complex('ArrayOfFoldersType', { particles: [choice(FOLDERS, { min: 0, max: 'unbounded' })] }),
  complex('NonEmptyArrayOfFoldersType', { particles: [choice(FOLDERS, { max: 'unbounded' })] }),
  complex('FindFolderParentType', {
    particles: [opt('Folders', 't:ArrayOfFoldersType')],
    attributes: PAGING_RESULT_ATTRIBUTES,
  }),
  complex('EffectiveRightsType', {
    particles: [
      el('CreateAssociated', 'xs:boolean'),
      el('CreateContents', 'xs:boolean'),
      el('CreateHierarchy', 'xs:boolean'),
      el('Delete', 'xs:boolean'),
      el('Modify', 'xs:boolean'),
      el('Read', 'xs:boolean'),
      opt('ViewPrivateItems', 'xs:boolean'),
    ],
  }),
  complex('RetentionTagType', { simpleBase: 't:GuidType', attributes: [attr('IsExplicit', 'xs:boolean', 'required')] }),
  loose('ManagedFolderInformationType'),
  loose('PermissionSetType'),
  loose('CalendarPermissionSetType'),
  enumType('PermissionReadAccessType', ['None', 'FullDetails']),
  enumType('CalendarPermissionReadAccessType', ['None', 'TimeOnly', 'TimeAndSubjectAndLocation', 'FullDetails']),
  complex('SearchParametersType', {
    particles: [el('Restriction', 't:RestrictionType'), el('BaseFolderIds', 't:NonEmptyArrayOfBaseFolderIdsType')],
    attributes: [attr('Traversal', 't:SearchFolderTraversalType')],
  }),
  enumType('SearchFolderTraversalType', ['Shallow', 'Deep']),
  enumType('FolderQueryTraversalType', ['Shallow', 'Deep', 'SoftDeleted']),
  enumType('ItemQueryTraversalType', ['Shallow', 'SoftDeleted', 'Associated']),

  // ---- folder changes (UpdateFolder)
  complex('NonEmptyArrayOfFolderChangesType', { particles: [many('FolderChange', 't:FolderChangeType', 1)] }),
  complex('FolderChangeType', {
    particles: [choice(FOLDER_IDS), el('Updates', 't:NonEmptyArrayOfFolderChangeDescriptionsType')],
  }),
  complex('NonEmptyArrayOfFolderChangeDescriptionsType', {
    particles: [
      choice(
        [
          el('AppendToFolderField', 't:AppendToFolderFieldType'),
          el('SetFolderField', 't:SetFolderFieldType'),
          el('DeleteFolderField', 't:DeleteFolderFieldType'),
        ],
        { max: 'unbounded' },
      ),
    ],
  }),
  complex('SetFolderFieldType', { particles: [path(), choice(FOLDERS)] }),
  complex('AppendToFolderFieldType', { particles: [path(), choice(FOLDERS)] }),
  complex('DeleteFolderFieldType', { particles: [path()] }),

  // ---- views and restrictions ([MS-OXWSSRCH])
  complex('BasePagingType', { abstract: true, attributes: [attr('MaxEntriesReturned', 'xs:int')] }),
  complex('IndexedPageViewType', {
    base: 't:BasePagingType',
    attributes: [attr('Offset', 'xs:int', 'required'), attr('BasePoint', 't:IndexBasePointType', 'required')],
  }),
  enumType('IndexBasePointType', ['Beginning', 'End']),
  complex('FractionalPageViewType', {
    base: 't:BasePagingType',
    attributes: [attr('Numerator', 'xs:int', 'required'), attr('Denominator', 'xs:int', 'required')],
  }),
  complex('CalendarViewType', {
    base: 't:BasePagingType',
    attributes: [attr('StartDate', 'xs:dateTime', 'required'), attr('EndDate', 'xs:dateTime', 'required')],
  }),
  complex('ContactsViewType', {
    base: 't:BasePagingType',
    attributes: [attr('InitialName', 'xs:string'), attr('FinalName', 'xs:string')],
  }),
  complex('RestrictionType', { particles: [searchExpression()] }),
  complex('SearchExpressionType', { abstract: true }),
  complex('ExistsType', { base: 't:SearchExpressionType', particles: [path()] }),
  complex('ExcludesType', { base: 't:SearchExpressionType', particles: [path(), el('Bitmask', 't:ExcludesValueType')] }),
  complex('ExcludesValueType', { attributes: [attr('Value', 'xs:string', 'required')] }),
  complex('TwoOperandExpressionType', {
    abstract: true,
    base: 't:SearchExpressionType',
    particles: [path(), el('FieldURIOrConstant', 't:FieldURIOrConstantType')],
  }),
  complex('IsEqualToType', { base: 't:TwoOperandExpressionType' }),
  complex('IsNotEqualToType', { base: 't:TwoOperandExpressionType' }),
  complex('IsGreaterThanType', { base: 't:TwoOperandExpressionType' }),
  complex('IsGreaterThanOrEqualToType', { base: 't:TwoOperandExpressionType' }),
  complex('IsLessThanType', { base: 't:TwoOperandExpressionType' }),
  complex('IsLessThanOrEqualToType', { base: 't:TwoOperandExpressionType' }),
  complex('FieldURIOrConstantType', { particles: [choice([...PATH, el('Constant', 't:ConstantValueType')])] }),
  complex('ConstantValueType', { attributes: [attr('Value', 'xs:string', 'required')] }),
  complex('ContainsExpressionType', {
    base: 't:SearchExpressionType',
    particles: [path(), el('Constant', 't:ConstantValueType')],
    attributes: [attr('ContainmentMode', 't:ContainmentModeType'), attr('ContainmentComparison', 't:ContainmentComparisonType')],
  }),
  enumType('ContainmentModeType', ['FullString', 'Prefixed', 'Substring', 'PrefixOnWords', 'ExactPhrase']),
  enumType('ContainmentComparisonType', [
    'Exact', 'IgnoreCase', 'IgnoreNonSpacingCharacters', 'Loose', 'IgnoreCaseAndNonSpacingCharacters',
    'LooseAndIgnoreCase', 'LooseAndIgnoreNonSpace', 'LooseAndIgnoreCaseAndIgnoreNonSpace',
  ]),
  complex('NotType', { base: 't:SearchExpressionType', particles: [searchExpression()] }),
  complex('MultipleOperandBooleanExpressionType', {
    abstract: true,
    base: 't:SearchExpressionType',
    particles: [searchExpression(1, 'unbounded')],
  }),
  complex('AndType', { base: 't:MultipleOperandBooleanExpressionType' }),
  complex('OrType', { base: 't:MultipleOperandBooleanExpressionType' }),
  complex('NonEmptyArrayOfFieldOrdersType', { particles: [many('FieldOrder', 't:FieldOrderType', 1)] }),
  complex('FieldOrderType', { particles: [path()], attributes: [attr('Order', 't:SortDirectionType', 'required')] }),
  enumType('SortDirectionType', ['Ascending', 'Descending']),
  loose('GroupByType'),
  loose('DistinguishedGroupByType'),
  complex('FindItemParentType', {
    particles: [choice([el('Items', 't:ArrayOfRealItemsType'), el('Groups', 't:ArrayOfGroupedItemsType')])],
    attributes: PAGING_RESULT_ATTRIBUTES,
  }),
  complex('ArrayOfGroupedItemsType', { particles: [many('GroupedItems', 't:GroupedItemsType')] }),
  complex('GroupedItemsType', { particles: [el('GroupIndex', 'xs:string'), el('Items', 't:ArrayOfRealItemsType')] }),

  // ---- addresses
  complex('BaseEmailAddressType', { abstract: true }),
  complex('EmailAddressType', {
    base: 't:BaseEmailAddressType',
    particles: [
      opt('Name', 'xs:string'),
      opt('EmailAddress', 't:NonEmptyStringType'),
      opt('RoutingType', 't:NonEmptyStringType'),
      opt('MailboxType', 't:MailboxTypeType'),
      opt('ItemId', 't:ItemIdType'),
      opt('OriginalDisplayName', 'xs:string'),
    ],
  }),
  complex('SingleRecipientType', { particles: [el('Mailbox', 't:EmailAddressType')] }),
  complex('ArrayOfRecipientsType', { particles: [many('Mailbox', 't:EmailAddressType')] }),

  // ---- items ([MS-OXWSCORE] 2.2.4.24, [MS-OXWSMSG])
  complex('MimeContentType', { simpleBase: 'xs:string', attributes: [attr('CharacterSet', 'xs:string')] }),
  complex('BodyType', {
    simpleBase: 'xs:string',
    attributes: [attr('BodyType', 't:BodyTypeType', 'required'), attr('IsTruncated', 'xs:boolean')],
  }),
  complex('InternetHeaderType', { simpleBase: 'xs:string', attributes: [attr('HeaderName', 'xs:string', 'required')] }),
  complex('NonEmptyArrayOfInternetHeadersType', { particles: [many('InternetMessageHeader', 't:InternetHeaderType', 1)] }),
  loose('NonEmptyArrayOfResponseObjectsType'),
  loose('FlagType'),
  loose('EntityExtractionResultType'),
  loose('RightsManagementLicenseDataType'),
  loose('NonEmptyArrayOfPredictedActionReasonType'),
  complex('ItemType', {
    particles: [
      opt('MimeContent', 't:MimeContentType'),
      opt('ItemId', 't:ItemIdType'),
      opt('ParentFolderId', 't:FolderIdType'),
      opt('ItemClass', 't:ItemClassType'),
      opt('Subject', 'xs:string'),
      opt('Sensitivity', 't:SensitivityChoicesType'),
      opt('Body', 't:BodyType'),
      opt('Attachments', 't:NonEmptyArrayOfAttachmentsType'),
      opt('DateTimeReceived', 'xs:dateTime'),
      opt('Size', 'xs:int'),
      opt('Categories', 't:ArrayOfStringsType'),
      opt('Importance', 't:ImportanceChoicesType'),
      opt('InReplyTo', 'xs:string'),
      opt('IsSubmitted', 'xs:boolean'),
      opt('IsDraft', 'xs:boolean'),
      opt('IsFromMe', 'xs:boolean'),
      opt('IsResend', 'xs:boolean'),
      opt('IsUnmodified', 'xs:boolean'),
      opt('InternetMessageHeaders', 't:NonEmptyArrayOfInternetHeadersType'),
      opt('DateTimeSent', 'xs:dateTime'),
      opt('DateTimeCreated', 'xs:dateTime'),
      opt('ResponseObjects', 't:NonEmptyArrayOfResponseObjectsType'),
      opt('ReminderDueBy', 'xs:dateTime'),
      opt('ReminderIsSet', 'xs:boolean'),
      opt('ReminderNextTime', 'xs:dateTime'),
      opt('ReminderMinutesBeforeStart', 't:ReminderMinutesBeforeStartType'),
      opt('DisplayCc', 'xs:string'),
      opt('DisplayTo', 'xs:string'),
      opt('HasAttachments', 'xs:boolean'),
      many('ExtendedProperty', 't:ExtendedPropertyType'),
      opt('Culture', 'xs:language'),
      opt('EffectiveRights', 't:EffectiveRightsType'),
      opt('LastModifiedName', 'xs:string'),
      opt('LastModifiedTime', 'xs:dateTime'),
      opt('IsAssociated', 'xs:boolean'),
      opt('WebClientReadFormQueryString', 'xs:string'),
      opt('WebClientEditFormQueryString', 'xs:string'),
      opt('ConversationId', 't:ItemIdType'),
      opt('UniqueBody', 't:BodyType'),
      opt('Flag', 't:FlagType'),
      opt('StoreEntryId', 'xs:base64Binary'),
      opt('InstanceKey', 'xs:base64Binary'),
      opt('NormalizedBody', 't:BodyType'),
      opt('EntityExtractionResult', 't:EntityExtractionResultType'),
      opt('PolicyTag', 't:RetentionTagType'),
      opt('ArchiveTag', 't:RetentionTagType'),
      opt('RetentionDate', 'xs:dateTime'),
      opt('Preview', 'xs:string'),
      opt('RightsManagementLicenseData', 't:RightsManagementLicenseDataType'),
      opt('PredictedActionReasons', 't:NonEmptyArrayOfPredictedActionReasonType'),
      opt('IsClutter', 'xs:boolean'),
      opt('BlockStatus', 'xs:boolean'),
      opt('HasBlockedImages', 'xs:boolean'),
      opt('TextBody', 't:BodyType'),
      opt('IconIndex', 'xs:string'),
    ],
  }),
  complex('MessageType', {
    base: 't:ItemType',
    particles: [
      opt('Sender', 't:SingleRecipientType'),
      opt('ToRecipients', 't:ArrayOfRecipientsType'),
      opt('CcRecipients', 't:ArrayOfRecipientsType'),
      opt('BccRecipients', 't:ArrayOfRecipientsType'),
      opt('IsReadReceiptRequested', 'xs:boolean'),
      opt('IsDeliveryReceiptRequested', 'xs:boolean'),
      opt('ConversationIndex', 'xs:base64Binary'),
      opt('ConversationTopic', 'xs:string'),
      opt('From', 't:SingleRecipientType'),
      opt('InternetMessageId', 'xs:string'),
      opt('IsRead', 'xs:boolean'),
      opt('IsResponseRequested', 'xs:boolean'),
      opt('References', 'xs:string'),
      opt('ReplyTo', 't:ArrayOfRecipientsType'),
      opt('ReceivedBy', 't:SingleRecipientType'),
      opt('ReceivedRepresenting', 't:SingleRecipientType'),
    ],
  }),
  loose('MeetingMessageType'),
  loose('MeetingRequestMessageType'),
  loose('MeetingResponseMessageType'),
  loose('MeetingCancellationMessageType'),
  loose('CalendarItemType'),
  loose('ContactItemType'),
  loose('DistributionListType'),
  loose('PostItemType'),
  loose('TaskType'),
  loose('ReplyToItemType'),
  loose('ForwardItemType'),
  loose('ReplyAllToItemType'),
  loose('AcceptItemType'),
  loose('TentativelyAcceptItemType'),
  loose('DeclineItemType'),
  loose('CancelCalendarItemType'),
  loose('RemoveItemType'),
  loose('SuppressReadReceiptType'),
  loose('PostReplyItemType'),
  loose('AcceptSharingInvitationType'),
  complex('ArrayOfRealItemsType', { particles: [choice(REAL_ITEMS, { min: 0, max: 'unbounded' })] }),
  complex('NonEmptyArrayOfAllItemsType', {
    particles: [choice([...REAL_ITEMS, ...RESPONSE_OBJECTS], { max: 'unbounded' })],
  }),
  enumType('MessageDispositionType', ['SaveOnly', 'SendOnly', 'SendAndSaveCopy']),
  enumType('CalendarItemCreateOrDeleteOperationType', ['SendToNone', 'SendOnlyToAll', 'SendToAllAndSaveCopy']),
  enumType('CalendarItemUpdateOperationType', [
    'SendToNone', 'SendOnlyToAll', 'SendOnlyToChanged', 'SendToAllAndSaveCopy', 'SendToChangedAndSaveCopy',
  ]),
  enumType('ConflictResolutionType', ['NeverOverwrite', 'AutoResolve', 'AlwaysOverwrite']),
  enumType('AffectedTaskOccurrencesType', ['AllOccurrences', 'SpecifiedOccurrenceOnly']),
  complex('ConflictResultsType', { particles: [el('Count', 'xs:int')] }),

  // ---- item changes (UpdateItem)
  complex('NonEmptyArrayOfItemChangesType', { particles: [many('ItemChange', 't:ItemChangeType', 1)] }),
  complex('ItemChangeType', {
    particles: [choice(ITEM_IDS), el('Updates', 't:NonEmptyArrayOfItemChangeDescriptionsType')],
  }),
  complex('NonEmptyArrayOfItemChangeDescriptionsType', {
    particles: [
      choice(
        [
          el('AppendToItemField', 't:AppendToItemFieldType'),
          el('SetItemField', 't:SetItemFieldType'),
          el('DeleteItemField', 't:DeleteItemFieldType'),
        ],
        { max: 'unbounded' },
      ),
    ],
  }),
  complex('SetItemFieldType', { particles: [path(), choice(REAL_ITEMS)] }),
  complex('AppendToItemFieldType', { particles: [path(), choice(REAL_ITEMS)] }),
  complex('DeleteItemFieldType', { particles: [path()] }),

  // ---- synchronization ([MS-OXWSSYNC])
  complex('SyncFolderHierarchyChangesType', {
    particles: [
      choice(
        [
          el('Create', 't:SyncFolderHierarchyCreateOrUpdateType'),
          el('Update', 't:SyncFolderHierarchyCreateOrUpdateType'),
          el('Delete', 't:SyncFolderHierarchyDeleteType'),
        ],
        { min: 0, max: 'unbounded' },
      ),
    ],
  }),
  complex('SyncFolderHierarchyCreateOrUpdateType', { particles: [choice(FOLDERS)] }),
  complex('SyncFolderHierarchyDeleteType', { particles: [el('FolderId', 't:FolderIdType')] }),
  complex('SyncFolderItemsChangesType', {
    particles: [
      choice(
        [
          el('Create', 't:SyncFolderItemsCreateOrUpdateType'),
          el('Update', 't:SyncFolderItemsCreateOrUpdateType'),
          el('Delete', 't:SyncFolderItemsDeleteType'),
          el('ReadFlagChange', 't:SyncFolderItemsReadFlagType'),
        ],
        { min: 0, max: 'unbounded' },
      ),
    ],
  }),
  complex('SyncFolderItemsCreateOrUpdateType', { particles: [choice(REAL_ITEMS)] }),
  complex('SyncFolderItemsDeleteType', { particles: [el('ItemId', 't:ItemIdType')] }),
  complex('SyncFolderItemsReadFlagType', { particles: [el('ItemId', 't:ItemIdType'), el('IsRead', 'xs:boolean')] }),
  { kind: 'simple', name: 'MaxSyncChangesReturnedType', base: 'xs:int', minInclusive: 1, maxInclusive: 512 },
  enumType('SyncFolderItemsScopeType', ['NormalItems', 'NormalAndAssociatedItems']),

  // ---- ConvertId ([MS-OXWSCVTID])
  enumType('IdFormatType', ['EwsLegacyId', 'EwsId', 'EntryId', 'HexEntryId', 'StoreId', 'OwaId']),
  complex('AlternateIdBaseType', { abstract: true, attributes: [attr('Format', 't:IdFormatType', 'required')] }),
  complex('AlternateIdType', {
    base: 't:AlternateIdBaseType',
    attributes: [
      attr('Id', 'xs:string', 'required'),
      attr('Mailbox', 't:NonEmptyStringType', 'required'),
      attr('IsArchive', 'xs:boolean'),
    ],
  }),
  complex('AlternatePublicFolderIdType', {
    base: 't:AlternateIdBaseType',
    attributes: [attr('FolderId', 'xs:string', 'required')],
  }),
  complex('AlternatePublicFolderItemIdType', {
    base: 't:AlternatePublicFolderIdType',
    attributes: [attr('ItemId', 'xs:string', 'required')],
  }),
  complex('NonEmptyArrayOfAlternateIdsType', {
    particles: [
      choice(
        [
          el('AlternateId', 't:AlternateIdType'),
          el('AlternatePublicFolderId', 't:AlternatePublicFolderIdType'),
          el('AlternatePublicFolderItemId', 't:AlternatePublicFolderItemIdType'),
        ],
        { max: 'unbounded' },
      ),
    ],
  }),

  // ---- attachments ([MS-OXWSATT])
  complex('RequestAttachmentIdType', { attributes: [attr('Id', 'xs:string', 'required')] }),
  complex('AttachmentIdType', {
    base: 't:RequestAttachmentIdType',
    attributes: [attr('RootItemId', 'xs:string'), attr('RootItemChangeKey', 'xs:string')],
  }),
  complex('NonEmptyArrayOfRequestAttachmentIdsType', {
    particles: [many('AttachmentId', 't:RequestAttachmentIdType', 1)],
  }),
  complex('AttachmentType', {
    particles: [
      opt('AttachmentId', 't:AttachmentIdType'),
      opt('Name', 'xs:string'),
      opt('ContentType', 'xs:string'),
      opt('ContentId', 'xs:string'),
      opt('ContentLocation', 'xs:string'),
      opt('AttachmentOriginalUrl', 'xs:string'),
      opt('Size', 'xs:int'),
      opt('LastModifiedTime', 'xs:dateTime'),
      opt('IsInline', 'xs:boolean'),
    ],
  }),
  complex('FileAttachmentType', {
    base: 't:AttachmentType',
    particles: [opt('IsContactPhoto', 'xs:boolean'), opt('Content', 'xs:base64Binary')],
  }),
  complex('ItemAttachmentType', { base: 't:AttachmentType', particles: [choice(REAL_ITEMS, { min: 0 })] }),
  loose('ReferenceAttachmentType'),
  complex('NonEmptyArrayOfAttachmentsType', {
    particles: [
      choice(
        [
          el('ItemAttachment', 't:ItemAttachmentType'),
          el('FileAttachment', 't:FileAttachmentType'),
          el('ReferenceAttachment', 't:ReferenceAttachmentType'),
        ],
        { max: 'unbounded' },
      ),
    ],
  }),
  complex('ArrayOfAttachmentsType', {
    particles: [
      choice(
        [
          el('ItemAttachment', 't:ItemAttachmentType'),
          el('FileAttachment', 't:FileAttachmentType'),
          el('ReferenceAttachment', 't:ReferenceAttachmentType'),
        ],
        { min: 0, max: 'unbounded' },
      ),
    ],
  }),

  // ---- name resolution ([MS-OXWSRSLNM]) and distribution lists ([MS-OXWSDLIST])
  enumType('ResolveNamesSearchScopeType', [
    'ActiveDirectory', 'ActiveDirectoryContacts', 'Contacts', 'ContactsActiveDirectory',
  ]),
  complex('ArrayOfResolutionType', {
    particles: [many('Resolution', 't:ResolutionType')],
    attributes: PAGING_RESULT_ATTRIBUTES,
  }),
  complex('ResolutionType', { particles: [el('Mailbox', 't:EmailAddressType'), opt('Contact', 't:ContactItemType')] }),
  complex('ArrayOfDLExpansionType', {
    particles: [many('Mailbox', 't:EmailAddressType')],
    attributes: PAGING_RESULT_ATTRIBUTES,
  }),

  // ---- availability ([MS-OXWAVLS])
  element('TimeZone', 't:SerializableTimeZone'),
  element('FreeBusyViewOptions', 't:FreeBusyViewOptionsType'),
  element('SuggestionsViewOptions', 't:SuggestionsViewOptionsType'),
  complex('SerializableTimeZone', {
    particles: [
      el('Bias', 'xs:int'),
      el('StandardTime', 't:SerializableTimeZoneTime'),
      el('DaylightTime', 't:SerializableTimeZoneTime'),
    ],
  }),
  complex('SerializableTimeZoneTime', {
    particles: [
      el('Bias', 'xs:int'),
      el('Time', 'xs:string'),
      el('DayOrder', 'xs:short'),
      el('Month', 'xs:short'),
      el('DayOfWeek', 't:DayOfWeekType'),
      opt('Year', 'xs:string'),
    ],
  }),
  enumType('DayOfWeekType', [
    'Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Day', 'Weekday', 'WeekendDay',
  ]),
  { kind: 'simple', name: 'DaysOfWeekType', list: 't:DayOfWeekType' },
  complex('Duration', { particles: [el('StartTime', 'xs:dateTime'), el('EndTime', 'xs:dateTime')] }),
  complex('FreeBusyViewOptionsType', {
    particles: [
      el('TimeWindow', 't:Duration'),
      opt('MergedFreeBusyIntervalInMinutes', 'xs:int'),
      opt('RequestedView', 't:FreeBusyViewType'),
    ],
  }),
  enumType('FreeBusyViewValueType', ['None', 'MergedOnly', 'FreeBusy', 'FreeBusyMerged', 'Detailed', 'DetailedMerged']),
  { kind: 'simple', name: 'FreeBusyViewType', list: 't:FreeBusyViewValueType' },
  loose('SuggestionsViewOptionsType'),
  complex('EmailAddress', {
    particles: [opt('Name', 'xs:string'), el('Address', 'xs:string'), opt('RoutingType', 'xs:string')],
  }),
  complex('ArrayOfMailboxData', { particles: [many('MailboxData', 't:MailboxData', 1)] }),
  complex('MailboxData', {
    particles: [
      el('Email', 't:EmailAddress'),
      el('AttendeeType', 't:MeetingAttendeeType'),
      opt('ExcludeConflicts', 'xs:boolean'),
    ],
  }),
  enumType('MeetingAttendeeType', ['Organizer', 'Required', 'Optional', 'Room', 'Resource']),
  complex('FreeBusyView', {
    particles: [
      el('FreeBusyViewType', 't:FreeBusyViewType'),
      opt('MergedFreeBusy', 'xs:string'),
      opt('CalendarEventArray', 't:ArrayOfCalendarEvent'),
      opt('WorkingHours', 't:WorkingHours'),
    ],
  }),
  complex('ArrayOfCalendarEvent', { particles: [many('CalendarEvent', 't:CalendarEvent')] }),
  complex('CalendarEvent', {
    particles: [
      el('StartTime', 'xs:dateTime'),
      el('EndTime', 'xs:dateTime'),
      el('BusyType', 't:LegacyFreeBusyType'),
      opt('CalendarEventDetails', 't:CalendarEventDetails'),
    ],
  }),
  enumType('LegacyFreeBusyType', ['Free', 'Tentative', 'Busy', 'OOF', 'WorkingElsewhere', 'NoData']),
  complex('CalendarEventDetails', {
    particles: [
      opt('ID', 'xs:string'),
      opt('Subject', 'xs:string'),
      opt('Location', 'xs:string'),
      el('IsMeeting', 'xs:boolean'),
      el('IsRecurring', 'xs:boolean'),
      el('IsException', 'xs:boolean'),
      el('IsReminderSet', 'xs:boolean'),
      el('IsPrivate', 'xs:boolean'),
    ],
  }),
  complex('WorkingHours', {
    particles: [el('TimeZone', 't:SerializableTimeZone'), el('WorkingPeriodArray', 't:ArrayOfWorkingPeriod')],
  }),
  complex('ArrayOfWorkingPeriod', { particles: [many('WorkingPeriod', 't:WorkingPeriod')] }),
  complex('WorkingPeriod', {
    particles: [
      el('DayOfWeek', 't:DaysOfWeekType'),
      el('StartTimeInMinutes', 'xs:int'),
      el('EndTimeInMinutes', 'xs:int'),
    ],
  }),
  loose('ArrayOfSuggestionDayResult'),

  // ---- out of office ([MS-OXWOOF])
  element('Mailbox', 't:EmailAddress'),
  element('UserOofSettings', 't:UserOofSettings'),
  element('OofSettings', 't:UserOofSettings'),
  complex('UserOofSettings', {
    particles: [
      el('OofState', 't:OofState'),
      el('ExternalAudience', 't:ExternalAudience'),
      opt('Duration', 't:Duration'),
      opt('InternalReply', 't:ReplyBody'),
      opt('ExternalReply', 't:ReplyBody'),
    ],
  }),
  enumType('OofState', ['Disabled', 'Enabled', 'Scheduled']),
  enumType('ExternalAudience', ['None', 'Known', 'All']),
  complex('ReplyBody', { particles: [opt('Message', 'xs:string')], anyAttribute: true }),

  // ---- notifications ([MS-OXWSNTIF])
  { kind: 'simple', name: 'SubscriptionIdType', minLength: 1 },
  { kind: 'simple', name: 'WatermarkType', minLength: 1 },
  { kind: 'simple', name: 'SubscriptionTimeoutType', base: 'xs:int', minInclusive: 1, maxInclusive: 1440 },
  { kind: 'simple', name: 'SubscriptionStatusFrequencyType', base: 'xs:int', minInclusive: 1, maxInclusive: 1440 },
  { kind: 'simple', name: 'StreamingSubscriptionConnectionTimeoutType', base: 'xs:int', minInclusive: 1, maxInclusive: 30 },
  enumType('NotificationEventTypeType', [
    'CopiedEvent', 'CreatedEvent', 'DeletedEvent', 'ModifiedEvent', 'MovedEvent', 'NewMailEvent', 'FreeBusyChangedEvent',
  ]),
  complex('NonEmptyArrayOfNotificationEventTypesType', {
    particles: [many('EventType', 't:NotificationEventTypeType', 1)],
  }),
  complex('BaseSubscriptionRequestType', {
    abstract: true,
    particles: [
      opt('FolderIds', 't:NonEmptyArrayOfBaseFolderIdsType'),
      el('EventTypes', 't:NonEmptyArrayOfNotificationEventTypesType'),
      opt('Watermark', 't:WatermarkType'),
    ],
    attributes: [attr('SubscribeToAllFolders', 'xs:boolean')],
  }),
  complex('PullSubscriptionRequestType', {
    base: 't:BaseSubscriptionRequestType',
    particles: [el('Timeout', 't:SubscriptionTimeoutType')],
  }),
  complex('PushSubscriptionRequestType', {
    base: 't:BaseSubscriptionRequestType',
    particles: [
      el('StatusFrequency', 't:SubscriptionStatusFrequencyType'),
      el('URL', 'xs:string'),
      opt('CallerData', 'xs:string'),
    ],
  }),
  complex('StreamingSubscriptionRequestType', {
    particles: [
      opt('FolderIds', 't:NonEmptyArrayOfBaseFolderIdsType'),
      el('EventTypes', 't:NonEmptyArrayOfNotificationEventTypesType'),
    ],
    attributes: [attr('SubscribeToAllFolders', 'xs:boolean')],
  }),
  complex('NonEmptyArrayOfSubscriptionIdsType', { particles: [many('SubscriptionId', 't:SubscriptionIdType', 1)] }),
  complex('NotificationType', {
    particles: [
      el('SubscriptionId', 't:SubscriptionIdType'),
      opt('PreviousWatermark', 't:WatermarkType'),
      opt('MoreEvents', 'xs:boolean'),
      choice(
        [
          el('CopiedEvent', 't:MovedCopiedEventType'),
          el('CreatedEvent', 't:BaseObjectChangedEventType'),
          el('DeletedEvent', 't:BaseObjectChangedEventType'),
          el('ModifiedEvent', 't:ModifiedEventType'),
          el('MovedEvent', 't:MovedCopiedEventType'),
          el('NewMailEvent', 't:BaseObjectChangedEventType'),
          el('StatusEvent', 't:BaseNotificationEventType'),
          el('FreeBusyChangedEvent', 't:BaseObjectChangedEventType'),
        ],
        { max: 'unbounded' },
      ),
    ],
  }),
  complex('BaseNotificationEventType', { particles: [opt('Watermark', 't:WatermarkType')] }),
  complex('BaseObjectChangedEventType', {
    base: 't:BaseNotificationEventType',
    particles: [
      el('TimeStamp', 'xs:dateTime'),
      choice([el('FolderId', 't:FolderIdType'), el('ItemId', 't:ItemIdType')]),
      el('ParentFolderId', 't:FolderIdType'),
    ],
  }),
  complex('ModifiedEventType', { base: 't:BaseObjectChangedEventType', particles: [opt('UnreadCount', 'xs:int')] }),
  complex('MovedCopiedEventType', {
    base: 't:BaseObjectChangedEventType',
    particles: [
      choice([el('OldFolderId', 't:FolderIdType'), el('OldItemId', 't:ItemIdType')]),
      el('OldParentFolderId', 't:FolderIdType'),
    ],
  }),

  // ---- user configuration ([MS-OXWSUSRCFG])
  complex('UserConfigurationNameType', {
    base: 't:TargetFolderIdType',
    attributes: [attr('Name', 't:UserConfigurationNameValueType', 'required')],
  }),
  { kind: 'simple', name: 'UserConfigurationNameValueType', minLength: 1 },
  enumType('UserConfigurationPropertyValueType', ['Id', 'Dictionary', 'XmlData', 'BinaryData', 'All']),
  { kind: 'simple', name: 'UserConfigurationPropertyType', list: 't:UserConfigurationPropertyValueType' },
  complex('UserConfigurationType', {
    particles: [
      el('UserConfigurationName', 't:UserConfigurationNameType'),
      opt('ItemId', 't:ItemIdType'),
      opt('Dictionary', 't:UserConfigurationDictionaryType'),
      opt('XmlData', 'xs:base64Binary'),
      opt('BinaryData', 'xs:base64Binary'),
    ],
  }),
  loose('UserConfigurationDictionaryType'),

  // ---- service configuration ([MS-OXWCONFIG]) and photos ([MS-OXWSCONT])
  enumType('ServiceConfigurationType', [
    'MailTips', 'UnifiedMessagingConfiguration', 'ProtectionRules', 'PolicyNudges', 'SharePointURLs',
    'OfficeIntegrationConfiguration',
  ]),
  loose('ConfigurationRequestDetailsType'),
  loose('MailTipsServiceConfiguration'),
  loose('UnifiedMessageServiceConfiguration'),
  loose('ProtectionRulesServiceConfiguration'),
  loose('PolicyNudgeRulesServiceConfiguration'),
  loose('SharePointURLsServiceConfiguration'),
  enumType('UserPhotoSizeType', [
    'HR48x48', 'HR64x64', 'HR96x96', 'HR120x120', 'HR240x240', 'HR360x360', 'HR432x432', 'HR504x504', 'HR648x648',
  ]),
  enumType('UserPhotoTypeType', ['UserPhoto', 'ProfileHeaderPhoto']),
];
