// The remediation screen against a fake backend: a held critical-role removal blocks applying
// until a governance admin confirms it or keeps the access with a reason; removals that were not
// made wait for an admin to retry, re-plan or keep them; a person who is no admin sees none of the
// buttons that decide.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { HeldItemDto, IdentityDto, RemediationActionDto, RemediationPlanDto } from "../../ipc";
import { session } from "../../lib/session.svelte";

const backend = vi.hoisted(() => ({
  remediationPlan: vi.fn(),
  remediationKeepHeld: vi.fn(),
  remediationConfirmHeld: vi.fn(),
  remediationResolve: vi.fn(),
}));

vi.mock("../../ipc", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../ipc")>();
  return { ...real, ipc: backend };
});

import RemediationView from "./RemediationView.svelte";

/** Matches the innermost element whose whole text is `text`, across the `<bdi>` isolating names. */
const whole = (text: string) => (_: string, el: Element | null) =>
  el?.textContent === text && ![...el.children].some((c) => c.textContent === text);

const admin: IdentityDto = { id: "u-adele", upn: "adele@contoso.com", displayName: "Adele Vance", tenantId: "t" };

const held: HeldItemDto = {
  itemId: 7,
  roleId: "r-pra",
  roleName: "Privileged Role Administrator",
  kind: "active",
  principalId: "u-megan",
  principalName: "Megan Bowen",
  principalUpn: "megan@contoso.com",
  code: "criticalRoleMinimum",
  reason: "Privileged Role Administrator would be left with 1 holder(s) (now 2, minimum 2): held until a named person confirms",
  proposal: "assign another Privileged Role Administrator first, or confirm the removal",
  confirmable: true,
  confirmedBy: null,
  confirmedAt: null,
  keptBy: null,
  keptAt: null,
  keptReason: null,
};

function plan(hold: HeldItemDto, ...more: HeldItemDto[]): RemediationPlanDto {
  const all = [hold, ...more];
  const waiting = all.filter((h) => h.confirmable && !h.confirmedBy && !h.keptBy).length;
  return {
    campaignId: "q1",
    campaignName: "Quarterly Q1",
    campaignState: "closed",
    plannedAt: "2026-03-31T09:00:00Z",
    deadline: null,
    overdue: false,
    autoApply: false,
    counts: {
      actions: 1, planned: 1, submitted: 0, succeeded: 0, failed: 0, skipped: 0, held: all.length,
      awaitingConfirmation: waiting, verifiedRemoved: 0, stillPresent: 0, reappeared: 0, overdue: 0, exceptions: 0,
      verifiedChanged: 0, notChanged: 0, conversions: 0, endChanges: 0,
    },
    tally: { exceptions: all.length, held: all.length, kept: all.filter((h) => h.keptBy).length, needsPerson: waiting },
    roles: [{ roleId: "r-pra", roleName: "Privileged Role Administrator", remove: 1, convert: 0, setEnd: 0, held: 1 }],
    people: [],
    // The one removal still to apply (the held one is not an action until it is confirmed).
    actions: [{
      itemId: 9, change: "remove", newEnd: null, eligibility: null, surface: "directoryRole", kind: "eligible", endpoint: "directoryEligibility",
      request: "roleEligibilityScheduleRequests adminRemove", roleId: "r-ua", roleName: "User Administrator", scope: "/",
      principalId: "u-9", principalName: "Holder 9", principalUpn: null, why: "denied", state: "planned",
      stateCode: null, stateReason: null, attempts: 0, requestId: null, requestStatus: null,
      lastError: null, submittedAt: null, finishedAt: null, verification: null, verificationNote: null, verifiedAt: null,
      overdue: false, exception: false, keptBy: null, keptAt: null, keptReason: null, retries: 0,
    }],
    held: all,
  };
}

beforeEach(() => {
  // jsdom has no modal dialogs; an open attribute is what the view's dialog needs here.
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.open = true;
  };
  HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
    this.open = false;
  };
  session.identity = admin;
  session.admin = true;
  backend.remediationPlan.mockResolvedValue(plan(held));
});

afterEach(() => {
  cleanup();
  session.identity = null;
  session.admin = false;
  vi.clearAllMocks();
});

describe("RemediationView", () => {
  it("keeps a held removal's access with a reason, after which removals can be applied", async () => {
    const kept = { ...held, keptBy: admin.upn, keptAt: "2026-03-31T10:00:00Z", keptReason: "sole on-call owner" };
    backend.remediationKeepHeld.mockResolvedValue(plan(kept));
    render(RemediationView, { id: "q1" });

    const apply = await screen.findByRole("button", { name: /Apply 1 removal/ });
    expect((apply as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByRole("button", { name: "Keep access…" }));
    const keep = screen.getByRole("button", { name: "Keep access" }) as HTMLButtonElement;
    expect(keep.disabled).toBe(true);
    await fireEvent.input(screen.getByLabelText("Why does the access stay?"), { target: { value: "  sole on-call owner " } });
    expect(keep.disabled).toBe(false);
    await fireEvent.click(keep);

    await waitFor(() => expect(backend.remediationKeepHeld).toHaveBeenCalledWith("q1", [7], "  sole on-call owner "));
    expect(await screen.findByText(whole(`Kept by ${admin.upn}`))).toBeTruthy();
    expect(screen.getByText("sole on-call owner")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Keep access…" })).toBeNull();
    expect((screen.getByRole("button", { name: /Apply 1 removal/ }) as HTMLButtonElement).disabled).toBe(false);
  });

  it("keeps every held removal still awaiting a decision at once, except the admin's own", async () => {
    const own = { ...held, itemId: 8, principalId: admin.id, principalName: admin.displayName };
    const other = { ...held, itemId: 9, principalId: "u-lynne", principalName: "Lynne Robbins" };
    backend.remediationPlan.mockResolvedValue(plan(held, own, other));
    backend.remediationKeepHeld.mockResolvedValue(plan(held, own, other));
    render(RemediationView, { id: "q1" });

    await fireEvent.click(await screen.findByRole("button", { name: "Keep all 2 awaiting…" }));
    expect(screen.getByText(whole("Lynne Robbins · Privileged Role Administrator (active)"))).toBeTruthy();
    await fireEvent.input(screen.getByLabelText("Why does the access stay?"), { target: { value: "audit hold" } });
    await fireEvent.click(screen.getByRole("button", { name: "Keep access" }));
    await waitFor(() => expect(backend.remediationKeepHeld).toHaveBeenCalledWith("q1", [7, 9], "audit hold"));
  });

  it("shows the backend's refusal in the dialog and keeps it open", async () => {
    backend.remediationKeepHeld.mockRejectedValue({ code: "forbidden", message: "nobody keeps a held removal of their own access", fields: [] });
    render(RemediationView, { id: "q1" });
    await fireEvent.click(await screen.findByRole("button", { name: "Keep access…" }));
    await fireEvent.input(screen.getByLabelText("Why does the access stay?"), { target: { value: "mine" } });
    await fireEvent.click(screen.getByRole("button", { name: "Keep access" }));
    expect(await screen.findByText(/their own access/)).toBeTruthy();
    expect(screen.getByLabelText("Why does the access stay?")).toBeTruthy();
  });

  it("shows a person who is no admin the plan, and none of the buttons that decide", async () => {
    session.admin = false;
    render(RemediationView, { id: "q1" });
    expect(await screen.findByText(/Only a governance admin applies removals/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Apply/ })).toBeNull();
    expect(screen.queryByRole("button", { name: "Confirm removal" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Keep access…" })).toBeNull();
    expect(screen.getByText("Awaiting a governance admin")).toBeTruthy();
  });

  it("lets an admin re-plan a drifted removal and keep another's access with a reason", async () => {
    const action = (itemId: number, code: string): RemediationActionDto => ({
      itemId, change: "remove", newEnd: null, eligibility: null, surface: "directoryRole", kind: "eligible", endpoint: "directoryEligibility",
      request: "roleEligibilityScheduleRequests adminRemove", roleId: "r-ua", roleName: "User Administrator", scope: "/",
      principalId: `u-${itemId}`, principalName: `Holder ${itemId}`, principalUpn: null, why: "denied", state: "skipped",
      stateCode: code, stateReason: `${code} at the moment of removal`, attempts: 0, requestId: null, requestStatus: null,
      lastError: null, submittedAt: null, finishedAt: null, verification: null, verificationNote: null, verifiedAt: null,
      overdue: false, exception: true, keptBy: null, keptAt: null, keptReason: null, retries: 0,
    });
    const withExceptions = { ...plan({ ...held, keptBy: admin.upn, keptReason: "x" }), actions: [action(11, "drift"), action(12, "protectedPrincipal")] };
    backend.remediationPlan.mockResolvedValue(withExceptions);
    backend.remediationResolve.mockResolvedValue(withExceptions);
    render(RemediationView, { id: "q1" });
    const rows = await screen.findAllByRole("button", { name: "Retry" });
    expect(rows.length).toBe(2);
    // Only the drifted one can be aimed at the live assignment.
    const replan = screen.getAllByRole("button", { name: "Re-plan" });
    expect(replan.length).toBe(1);
    await fireEvent.click(replan[0]!);
    await waitFor(() => expect(backend.remediationResolve).toHaveBeenCalledWith("q1", [11], "replan", null));
    await fireEvent.click(screen.getAllByRole("button", { name: "Keep access…" })[1]!);
    await fireEvent.input(screen.getByLabelText("Why does the access stay?"), { target: { value: "break-glass, kept by design" } });
    await fireEvent.click(screen.getByRole("button", { name: "Keep access" }));
    await waitFor(() => expect(backend.remediationResolve).toHaveBeenCalledWith("q1", [12], "keep", "break-glass, kept by design"));
  });

  it("confirms a whole group after its count is typed, says inline why Apply waits, and marks one's own access", async () => {
    const own = { ...held, itemId: 8, principalId: admin.id, principalName: admin.displayName };
    const others = [9, 10, 11].map((itemId) => ({ ...held, itemId, principalId: `u-${itemId}`, principalName: `Holder ${itemId}` }));
    backend.remediationPlan.mockResolvedValue(plan(held, own, ...others));
    backend.remediationConfirmHeld.mockResolvedValue(plan(held, own, ...others));
    render(RemediationView, { id: "q1" });

    expect(await screen.findByText(/Apply waits for 5 held removals to be confirmed or kept \(1 of them your own access/)).toBeTruthy();
    expect(document.querySelector('#held li[data-item-id="8"] .badge.own')?.textContent).toBe("Needs another admin");
    const confirm = screen.getByRole("button", { name: "Confirm 4 removals" }) as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    await fireEvent.input(screen.getByLabelText(/type 4$/), { target: { value: "3" } });
    expect(confirm.disabled).toBe(true);
    await fireEvent.input(screen.getByLabelText(/type 4$/), { target: { value: "4" } });
    expect(confirm.disabled).toBe(false);
    await fireEvent.click(confirm);
    await waitFor(() => expect(backend.remediationConfirmHeld).toHaveBeenCalledWith("q1", [7, 9, 10, 11]));
  });

  it("narrows the list by search and lists every role in the apply dialog on request", async () => {
    const others = [9, 10].map((itemId) => ({ ...held, itemId, principalId: `u-${itemId}`, principalName: `Holder ${itemId}`, keptBy: admin.upn, keptReason: "x" }));
    const roles = Array.from({ length: 9 }, (_, i) => ({ roleId: `r${i}`, roleName: `Role ${i}`, remove: 1, convert: 0, setEnd: 0, held: 0 }));
    backend.remediationPlan.mockResolvedValue({ ...plan({ ...held, keptBy: admin.upn, keptReason: "x" }, ...others), roles });
    render(RemediationView, { id: "q1" });
    await fireEvent.input(await screen.findByLabelText("Search held removals"), { target: { value: "holder 10" } });
    expect(screen.getByText("1 of 3 shown")).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: /Apply 1 removal/ }));
    const listed = () => [...document.querySelectorAll("#apply-roles li")].map((li) => li.textContent);
    expect(listed()).toHaveLength(6);
    await fireEvent.click(screen.getByRole("button", { name: "and 3 more" }));
    expect(listed()).toHaveLength(9);
    expect(listed()).toContain("Role 8: 1 removal");
  });
});
