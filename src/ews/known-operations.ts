// Every operation name the EWS schema defines (Exchange 2007 to 2016). A known
// operation that the registry lacks still gets an answer in its own shape; a name
// outside this list is a schema violation, as on Exchange.
export const KNOWN_EWS_OPERATIONS: ReadonlySet<string> = new Set(
  `AddDelegate AddDistributionGroupToImList AddImContactToGroup AddImGroup AddNewImContactToGroup
  AddNewTelUriContactToGroup ApplyConversationAction ArchiveItem ConvertId CopyFolder CopyItem
  CreateAttachment CreateFolder CreateFolderPath CreateItem CreateManagedFolder CreateUserConfiguration
  DeleteAttachment DeleteDelegate DeleteFolder DeleteItem DeleteUserConfiguration DisconnectPhoneCall
  EmptyFolder ExecuteDiagnosticMethod ExpandDL ExportItems FindConversation FindFolder FindItem
  FindMessageTrackingReport FindPeople GetAppManifests GetAppMarketplaceUrl GetAttachment
  GetClientAccessToken GetConversationItems GetDelegate GetDiscoverySearchConfiguration GetEvents
  GetFolder GetHoldOnMailboxes GetImItemList GetImItems GetInboxRules GetItem GetMailTips
  GetMessageTrackingReport GetNonIndexableItemDetails GetNonIndexableItemStatistics GetPasswordExpirationDate
  GetPersona GetPhoneCallInformation GetReminders GetRoomLists GetRooms GetSearchableMailboxes
  GetServerTimeZones GetServiceConfiguration GetSharingFolder GetSharingMetadata GetStreamingEvents
  GetUserAvailability GetUserConfiguration GetUserOofSettings GetUserPhoto GetUserRetentionPolicyTags
  GetUnifiedGroupsSettings GetUserSettings InstallApp MarkAllItemsAsRead MarkAsJunk MoveFolder MoveItem
  PerformReminderAction PlayOnPhone RefreshSharingFolder RemoveContactFromImList RemoveDelegate
  RemoveDistributionGroupFromImList RemoveImContactFromGroup RemoveImGroup ResolveNames SearchMailboxes
  SendItem SendNotification SetHoldOnMailboxes SetImGroup SetImListMigrationCompleted SetUserOofSettings
  SetUserPhoto Subscribe SyncFolderHierarchy SyncFolderItems UninstallApp Unsubscribe UpdateDelegate
  UpdateFolder UpdateInboxRules UpdateItem UpdateUserConfiguration UploadItems GetLastPrivateCatalogUpdate
  GetPrivateCatalogAddIns GetOMEConfiguration SetOMEConfiguration GetAppMarketplaceUrl GetSpecificUserSettings
  GetPeopleInsightsConfigurationOptions GetUserPhotoData FindAvailableMeetingTimes FindMeetingTimeCandidates
  GetUserUnifiedGroups GetUnifiedGroupUnseenCount SetUnifiedGroupLastVisitedTime`
    .split(/\s+/)
    .filter(Boolean),
);
