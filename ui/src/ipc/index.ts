// The only module that talks to the Rust backend. Each command has one typed wrapper here, with
// its types generated from the Rust DTOs (./bindings), so the two sides cannot drift apart.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { ActingDto } from "./bindings/ActingDto";
import type { AdminDto } from "./bindings/AdminDto";
import type { AppError } from "./bindings/AppError";
import type { AuditChainDto } from "./bindings/AuditChainDto";
import type { AuditPageDto } from "./bindings/AuditPageDto";
import type { AuditQueryDto } from "./bindings/AuditQueryDto";
import type { CampaignDetailDto } from "./bindings/CampaignDetailDto";
import type { CampaignDto } from "./bindings/CampaignDto";
import type { AcceptPreviewDto } from "./bindings/AcceptPreviewDto";
import type { AcceptRoleDto } from "./bindings/AcceptRoleDto";
import type { ItemFactsDto } from "./bindings/ItemFactsDto";
import type { RoleFactDto } from "./bindings/RoleFactDto";
import type { RoleTierDto } from "./bindings/RoleTierDto";
import type { DecisionResultDto } from "./bindings/DecisionResultDto";
import type { DecisionTrailDto } from "./bindings/DecisionTrailDto";
import type { CampaignEvidenceDto } from "./bindings/CampaignEvidenceDto";
import type { DefinitionDto } from "./bindings/DefinitionDto";
import type { DefinitionPreviewDto } from "./bindings/DefinitionPreviewDto";
import type { DefinitionSummaryDto } from "./bindings/DefinitionSummaryDto";
import type { EvidenceExportDto } from "./bindings/EvidenceExportDto";
import type { IdentityDto } from "./bindings/IdentityDto";
import type { ItemDto } from "./bindings/ItemDto";
import type { OccurrenceDto } from "./bindings/OccurrenceDto";
import type { PersonDto } from "./bindings/PersonDto";
import type { ProtectionSuggestionDto } from "./bindings/ProtectionSuggestionDto";
import type { PullDto } from "./bindings/PullDto";
import type { PullGapDto } from "./bindings/PullGapDto";
import type { PullProgressDto } from "./bindings/PullProgressDto";
import type { RemediationPlanDto } from "./bindings/RemediationPlanDto";
import type { RemediationProgressDto } from "./bindings/RemediationProgressDto";
import type { RoleSummaryDto } from "./bindings/RoleSummaryDto";
import type { RunDueDto } from "./bindings/RunDueDto";
import type { SavedEvidenceDto } from "./bindings/SavedEvidenceDto";
import type { SafetyDto } from "./bindings/SafetyDto";
import type { SincePreviousDto } from "./bindings/SincePreviousDto";
import type { TenantDto } from "./bindings/TenantDto";
import type { CheckStateDto } from "./bindings/CheckStateDto";
import type { TenantCheckDto } from "./bindings/TenantCheckDto";
import type { TenantCheckRowDto } from "./bindings/TenantCheckRowDto";
import type { TenantListItemDto } from "./bindings/TenantListItemDto";
import type { TenantSettingsDto } from "./bindings/TenantSettingsDto";
import type { UpdateStatusDto } from "./bindings/UpdateStatusDto";
import type { DeviceCodeDto } from "./bindings/DeviceCodeDto";
import type { VerifyReportDto } from "./bindings/VerifyReportDto";
import type { SignOffCapacityDto } from "./bindings/SignOffCapacityDto";
import type { SignOffStatusDto } from "./bindings/SignOffStatusDto";
import type { SampleDto } from "./bindings/SampleDto";
import type { ExceptionDto } from "./bindings/ExceptionDto";
import type { ExceptionTermsDto } from "./bindings/ExceptionTermsDto";
import type { WorklistPageDto } from "./bindings/WorklistPageDto";
import type { WorklistQueryDto } from "./bindings/WorklistQueryDto";
import type { DeliveryStatusDto } from "./bindings/DeliveryStatusDto";
import type { EntraProgressDto } from "./bindings/EntraProgressDto";
import type { SyncProgressDto } from "./bindings/SyncProgressDto";
import type { SyncReport } from "./bindings/SyncReport";

export type {
  ActingDto,
  AdminDto,
  AppError,
  CampaignDetailDto,
  CampaignDto,
  AcceptPreviewDto,
  AcceptRoleDto,
  ItemFactsDto,
  RoleFactDto,
  RoleTierDto,
  DecisionResultDto,
  DefinitionDto,
  DefinitionSummaryDto,
  EvidenceExportDto,
  IdentityDto,
  ItemDto,
  OccurrenceDto,
  PullDto,
  PullGapDto,
  PullProgressDto,
  RemediationPlanDto,
  RemediationProgressDto,
  RoleSummaryDto,
  RunDueDto,
  SafetyDto,
  SincePreviousDto,
  TenantDto,
  CheckStateDto,
  TenantCheckDto,
  TenantCheckRowDto,
  TenantListItemDto,
  TenantSettingsDto,
  UpdateStatusDto,
  DeviceCodeDto,
  VerifyReportDto,
  WorklistPageDto,
  WorklistQueryDto,
};
export type { AuditChainDto } from "./bindings/AuditChainDto";
export type { DefinitionPreviewDto };
export type { CampaignEvidenceDto, PersonDto, ProtectionSuggestionDto, SavedEvidenceDto };
export type { ExportRecordDto } from "./bindings/ExportRecordDto";
export type { TallyDto } from "./bindings/TallyDto";
export type { ChangeKindDto } from "./bindings/ChangeKindDto";
export type { PopulationChangeDto } from "./bindings/PopulationChangeDto";
export type { AuditEventDto } from "./bindings/AuditEventDto";
export type { AuditPageDto } from "./bindings/AuditPageDto";
export type { AuditQueryDto } from "./bindings/AuditQueryDto";
export type { CriticalRoleDto } from "./bindings/CriticalRoleDto";
export type { ErrorCode } from "./bindings/ErrorCode";
export type { Delivery } from "./bindings/Delivery";
export type { DeliveryStatusDto, EntraProgressDto, SyncProgressDto, SyncReport };
export type { EntraReviewerDto } from "./bindings/EntraReviewerDto";
export type { StayInRecertDto } from "./bindings/StayInRecertDto";
export type { HeldItemDto } from "./bindings/HeldItemDto";
export type { RemediationActionDto } from "./bindings/RemediationActionDto";
export type { FieldErrorDto } from "./bindings/FieldErrorDto";
export type { AuthenticationDto } from "./bindings/AuthenticationDto";
export type { AuthMethodDto } from "./bindings/AuthMethodDto";
export type { SignOffCapacityDto, SignOffStatusDto, SampleDto, ExceptionDto, ExceptionTermsDto };
export type { SignOffDto } from "./bindings/SignOffDto";
export type { ItemReviewerDto } from "./bindings/ItemReviewerDto";
export type { ReviewerDto } from "./bindings/ReviewerDto";
export type { ReviewerProgressDto } from "./bindings/ReviewerProgressDto";
export type { RoleCountDto } from "./bindings/RoleCountDto";
export type { ScheduleDto } from "./bindings/ScheduleDto";
export type { ScopeDto } from "./bindings/ScopeDto";
export type { CampaignState } from "./bindings/CampaignState";
export type { SettingsDto } from "./bindings/SettingsDto";
import type { VerdictDto } from "./bindings/VerdictDto";
export type { VerdictDto };
export type { OutcomeDto } from "./bindings/OutcomeDto";
export type { ChangeDto } from "./bindings/ChangeDto";
export type { StageDto } from "./bindings/StageDto";
export type { DecisionTrailDto } from "./bindings/DecisionTrailDto";

/** Invokes a command; a rejection is always an AppError, whatever the backend threw. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    throw toAppError(err);
  }
}

/** A rejection as an AppError. One that is not an AppError did not come from Recert's use cases
 * (Tauri could not decode the command's arguments, say): the window and the backend disagree, so
 * it is an internal error, never a form for the person to correct. */
export function toAppError(err: unknown): AppError {
  if (typeof err === "object" && err !== null && "code" in err && "message" in err) {
    const e = err as Partial<AppError> & { code: AppError["code"]; message: string };
    return { code: e.code, message: e.message, fields: Array.isArray(e.fields) ? e.fields : [] };
  }
  return { code: "internal", message: String(err), fields: [] };
}

/** A decision as the backend takes it: each verdict the backend names (`VerdictDto`), "approve until"
 *  with its date (`approveUntil:2027-06-30`). Derived from the generated union, so a verdict the
 *  backend adds is one the window can send, and its labels (`Record<VerdictDto, …>`) fail the
 *  typecheck until it has words. */
export type Verdict = Exclude<VerdictDto, "approveUntil"> | `approveUntil:${string}`;

export const ipc = {
  demoTenant: () => call<TenantDto>("demo_tenant"),
  /** Pulls the tenant again; `onProgress` hears each finished partition. */
  tenantPull: (tenantId: string, onProgress: (p: PullProgressDto) => void) => {
    const channel = new Channel<PullProgressDto>();
    channel.onmessage = onProgress;
    return call<PullDto>("tenant_pull", { tenantId, onProgress: channel });
  },
  roleSummary: (tenantId: string) => call<RoleSummaryDto>("role_summary", { tenantId }),
  tenants: () => call<TenantListItemDto[]>("tenants"),
  tenantAdd: (settings: TenantSettingsDto) => call<TenantDto>("tenant_add", { settings }),
  /** The tenant's preflight: token, permissions, licences, roles, Azure access, each ✗ with its fix. */
  tenantCheck: (tenantId: string) => call<TenantCheckDto>("tenant_check", { tenantId }),
  /** Connects a saved tenant; an app secret is passed here and held in memory only. */
  tenantConnect: (tenantId: string, secret: string | null) => call<TenantDto>("tenant_connect", { tenantId, secret }),
  /** Who acts on the tenant in this window, and as what (restores a sign-in from the keychain). */
  acting: (tenantId: string) => call<ActingDto>("acting", { tenantId }),
  /** Makes the tenant the window's; the "act as" choice made on the tenant it leaves ends. */
  useTenant: (tenantId: string) => call<ActingDto>("use_tenant", { tenantId }),
  /** Acts as a demo tenant user without signing in; refused for real tenants. */
  actAs: (tenantId: string, upn: string) => call<ActingDto>("act_as", { tenantId, upn }),
  stopActing: (tenantId: string) => call<ActingDto>("stop_acting", { tenantId }),
  /** A user of the tenant by UPN, for forms that name people; never changes who acts. */
  findPerson: (tenantId: string, upn: string) => call<IdentityDto>("find_person", { tenantId, upn }),
  /** Users whose name, UPN or mail matches `term`: the pulled directory first, then the tenant. */
  searchPeople: (tenantId: string, term: string) => call<PersonDto[]>("search_people", { tenantId, term }),
  /** Interactive sign-in: a window of the app on the demo tenant, the system browser otherwise. */
  signIn: (tenantId: string, loginHint: string | null) => call<ActingDto>("sign_in", { tenantId, loginHint }),
  /** Device-code sign-in: `onCode` hears the code to type, then the call waits for the person. */
  signInDeviceCode: (tenantId: string, onCode: (code: DeviceCodeDto) => void) => {
    const channel = new Channel<DeviceCodeDto>();
    channel.onmessage = onCode;
    return call<ActingDto>("sign_in_device_code", { tenantId, onCode: channel });
  },
  signOut: (tenantId: string) => call<ActingDto>("sign_out", { tenantId }),

  /** The tenant's governance admins. */
  admins: (tenantId: string) => call<AdminDto[]>("admins", { tenantId }),
  adminAdd: (tenantId: string, upn: string) => call<AdminDto[]>("admin_add", { tenantId, upn }),
  adminRemove: (tenantId: string, principalId: string) => call<AdminDto[]>("admin_remove", { tenantId, principalId }),
  /** Makes the person acting the first admin, if Entra says they hold a governing role. */
  adminBootstrap: (tenantId: string) => call<AdminDto[]>("admin_bootstrap", { tenantId }),

  definitionCheck: (definition: DefinitionDto) => call<OccurrenceDto[]>("definition_check", { definition }),
  /** The definition against the tenant's last pull: items, routing, critical roles if nobody answers. */
  definitionPreview: (definition: DefinitionDto) => call<DefinitionPreviewDto>("definition_preview", { definition }),
  definitionCreate: (definition: DefinitionDto) => call<DefinitionSummaryDto>("definition_create", { definition }),
  definitions: (tenantId?: string) => call<DefinitionSummaryDto[]>("definitions", { tenantId: tenantId ?? null }),
  campaigns: (definitionId?: string) => call<CampaignDto[]>("campaigns", { definitionId: definitionId ?? null }),
  campaign: (id: string) => call<CampaignDetailDto>("campaign", { id }),
  /** Opens now; `acceptGap` (a reason) accepts what the pull cannot read of the scope (admins only). */
  campaignOpen: (definitionId: string, acceptGap: string | null = null) =>
    call<CampaignDto>("campaign_open", { definitionId, acceptGap }),
  /** What the latest pull could not read of the definition's scope. */
  campaignGaps: (definitionId: string) => call<PullGapDto[]>("campaign_gaps", { definitionId }),
  campaignClose: (id: string, reason: string | null) => call<CampaignDto>("campaign_close", { id, reason }),
  /** Moves a multi-stage review to its next stage now. */
  campaignAdvanceStage: (id: string) => call<CampaignDto>("campaign_advance_stage", { id }),
  /** Every decision on an item (or the campaign), every stage's, in the order made. */
  campaignDecisions: (campaignId: string, itemId: number | null) =>
    call<DecisionTrailDto[]>("campaign_decisions", { campaignId, itemId }),
  /** What changed since the previous campaign of the same definition; null for the first. */
  campaignChanges: (id: string) => call<SincePreviousDto | null>("campaign_changes", { id }),
  runDue: () => call<RunDueDto>("run_due"),
  campaignPublish: (id: string) => call<number>("campaign_publish", { id }),
  campaignSync: (id: string, onProgress: (p: SyncProgressDto) => void) => {
    const channel = new Channel<SyncProgressDto>();
    channel.onmessage = onProgress;
    return call<SyncReport>("campaign_sync", { id, onProgress: channel });
  },
  campaignDelivery: (id: string) => call<DeliveryStatusDto>("campaign_delivery", { id }),
  campaignEntraProgress: (id: string) => call<EntraProgressDto>("campaign_entra_progress", { id }),

  worklist: (campaignId: string, query: WorklistQueryDto) => call<WorklistPageDto>("worklist", { campaignId, query }),
  /** Decides as the person acting on the campaign's tenant: the window never names the decider. */
  decide: (campaignId: string, itemIds: number[], verdict: Verdict, justification: string) =>
    call<DecisionResultDto>("decide", { campaignId, itemIds, verdict, justification }),
  /** Returns items to undecided: the acting person's decision on each is taken back (audited). */
  withdrawDecisions: (campaignId: string, itemIds: number[], justification: string) =>
    call<DecisionResultDto>("withdraw_decisions", { campaignId, itemIds, justification }),
  /** The tenant's canned justifications, offered in the decision note (free text still possible). */
  justificationPresets: (tenantId: string) => call<string[]>("justification_presets", { tenantId }),
  /** Replaces the tenant's canned justifications (a governance admin; audited); the list as saved. */
  setJustificationPresets: (tenantId: string, presets: string[]) =>
    call<string[]>("set_justification_presets", { tenantId, presets }),
  /** More about one item for the detail pane: the holder's last sign-in, who else holds the role. */
  itemFacts: (campaignId: string, itemId: number) => call<ItemFactsDto>("item_facts", { campaignId, itemId }),
  /** What accepting the recommendations would decide, in all and per role. */
  acceptPreview: (campaignId: string, query: WorklistQueryDto) =>
    call<AcceptPreviewDto>("accept_preview", { campaignId, query }),
  acceptRecommendations: (campaignId: string, query: WorklistQueryDto) =>
    call<DecisionResultDto>("accept_recommendations", { campaignId, query }),

  /** Writes the binder into the campaign's evidence folder (beside the database). */
  evidenceExport: (campaignId: string, formats: { pdf: boolean; csv: boolean; json: boolean }) =>
    call<EvidenceExportDto>("evidence_export", { campaignId, pdf: formats.pdf, csv: formats.csv, json: formats.json }),
  evidenceVerify: (campaignId: string) => call<VerifyReportDto>("evidence_verify", { campaignId }),
  /** Where the campaign's evidence is kept and every export of it, newest first. */
  campaignEvidence: (campaignId: string) => call<CampaignEvidenceDto>("campaign_evidence", { campaignId }),
  /** Saves a copy of the campaign's evidence folder into `folder`, as it is or as one zip. */
  evidenceSaveCopy: (campaignId: string, folder: string, zip: boolean) =>
    call<SavedEvidenceDto>("evidence_save_copy", { campaignId, folder, zip }),
  /** Shows the campaign's evidence folder in the file manager. */
  evidenceOpenFolder: (campaignId: string) => call<void>("evidence_open_folder", { campaignId }),
  /** The binder's version, its sign-offs and corrections. */
  signOffStatus: (campaignId: string) => call<SignOffStatusDto>("sign_off_status", { campaignId }),
  /** Signs the binder as the person acting (needs a sign-in of the last five minutes). */
  signOff: (campaignId: string, capacity: SignOffCapacityDto) =>
    call<SignOffStatusDto>("sign_off", { campaignId, capacity }),
  /** Records a correction to the campaign's record (a new binder version after a sign-off). */
  correctCampaign: (campaignId: string, note: string) =>
    call<SignOffStatusDto>("correct_campaign", { campaignId, note }),
  /** Draws the auditor's sample (a new seed when none) and writes its trace sheets. */
  evidenceSample: (campaignId: string, size: number, seed: string | null) =>
    call<SampleDto>("evidence_sample", { campaignId, size, seed }),
  /** The campaign's exceptions register. */
  exceptions: (campaignId: string) => call<ExceptionDto[]>("exceptions", { campaignId }),
  /** Records an exception's owner, expiry and compensating control. */
  registerException: (campaignId: string, itemId: number, terms: ExceptionTermsDto) =>
    call<ExceptionDto[]>("register_exception", { campaignId, itemId, terms }),

  /** The removal plan (made on first call after close) with the journal so far. */
  remediationPlan: (campaignId: string) => call<RemediationPlanDto>("remediation_plan", { campaignId }),
  /** Confirms held removals (one, or a whole group): all or none. */
  remediationConfirmHeld: (campaignId: string, itemIds: number[]) =>
    call<RemediationPlanDto>("remediation_confirm_held", { campaignId, itemIds }),
  /** Keeps the access of held removals (all or none), with the keeper's reason. */
  remediationKeepHeld: (campaignId: string, itemIds: number[], reason: string) =>
    call<RemediationPlanDto>("remediation_keep_held", { campaignId, itemIds, reason }),
  /** Resolves removals that were not made (all or none): retry, re-plan at the live assignment, or keep with a reason. */
  remediationResolve: (campaignId: string, itemIds: number[], resolution: "retry" | "replan" | "keep", reason: string | null) =>
    call<RemediationPlanDto>("remediation_resolve", { campaignId, itemIds, resolution, reason }),
  /** Applies the plan; `onProgress` hears each finished action; `remediationCancel` stops it. */
  remediationApply: (campaignId: string, onProgress: (p: RemediationProgressDto) => void) => {
    const channel = new Channel<RemediationProgressDto>();
    channel.onmessage = onProgress;
    return call<RemediationPlanDto>("remediation_apply", { campaignId, onProgress: channel });
  },
  remediationCancel: (campaignId: string) => call<void>("remediation_cancel", { campaignId }),
  remediationVerify: (campaignId: string) => call<RemediationPlanDto>("remediation_verify", { campaignId }),
  remediationSafety: (tenantId: string) => call<SafetyDto>("remediation_safety", { tenantId }),
  setRemediationSafety: (tenantId: string, safety: SafetyDto) => call<void>("set_remediation_safety", { tenantId, safety }),
  /** Accounts of the last pull that look like emergency access, suggested for protection with why. */
  protectionSuggestions: (tenantId: string) => call<ProtectionSuggestionDto[]>("protection_suggestions", { tenantId }),
  /** Dismisses a protection suggestion with a reason (a governance admin; audited). */
  dismissProtectionSuggestion: (tenantId: string, principalId: string, reason: string) =>
    call<ProtectionSuggestionDto[]>("dismiss_protection_suggestion", { tenantId, principalId, reason }),

  /** One page of the audit log, newest first, with how many events match the filters. */
  auditLog: (query: AuditQueryDto) => call<AuditPageDto>("audit_log", { query }),
  auditKinds: () => call<string[]>("audit_kinds"),
  /** Re-hashes the whole log; slow on long logs, so call it once per visit. */
  auditChain: () => call<AuditChainDto>("audit_chain"),
  /** What the last look for a new release found (the shell looks at most daily, by policy). */
  updateStatus: () => call<UpdateStatusDto>("update_status"),
  /** Installs the release found (its signature checked first) and restarts into it. */
  updateInstall: () => call<void>("update_install"),
};
export type { Surface } from "./bindings/Surface";
export type { AssignmentKind } from "./bindings/AssignmentKind";
export type { Membership } from "./bindings/Membership";
export type { ActionState } from "./bindings/ActionState";
export type { Verification } from "./bindings/Verification";
export type { DecisionSource } from "./bindings/DecisionSource";
