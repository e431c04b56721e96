// The audit log screen against a fake backend: rows, the chain's status, filters and paging.
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AuditChainDto, AuditEventDto, AuditPageDto, AuditQueryDto } from "../../ipc";

const backend = vi.hoisted(() => ({
  auditLog: vi.fn(),
  auditKinds: vi.fn(),
  auditChain: vi.fn(),
  campaign: vi.fn(),
}));

vi.mock("../../ipc", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../ipc")>();
  return { ...real, ipc: backend };
});

import AuditView from "./AuditView.svelte";

function event(seq: number, over: Partial<AuditEventDto> = {}): AuditEventDto {
  return {
    seq,
    at: "2026-03-31T09:00:00.000Z",
    actor: seq % 2 ? "adele@contoso.com" : "recert@linux",
    kind: "decision.recorded",
    subject: "campaign/q1",
    details: JSON.stringify({ items: [seq], approve: 1, why: "still on call" }),
    hash: `hash-${seq}`.padEnd(64, "0"),
    subjectName: null,
    itemName: null,
    ...over,
  };
}

/** A log of `total` events; each page is cut from it as the backend would, newest first. */
function serve(total: number) {
  backend.auditLog.mockImplementation(async (q: AuditQueryDto): Promise<AuditPageDto> => {
    const limit = q.limit || 100;
    const events = [];
    for (let seq = total - q.offset; seq > 0 && events.length < limit; seq--) events.push(event(seq));
    return { events, total, offset: q.offset };
  });
}

const intact: AuditChainDto = { intact: true, seq: 120, headHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", problem: null };

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  backend.auditKinds.mockResolvedValue(["campaign.opened", "decision.recorded"]);
  backend.auditChain.mockResolvedValue(intact);
  backend.campaign.mockResolvedValue({ campaign: { name: "Quarterly Q1" } });
  serve(120);
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.clearAllMocks();
});

describe("AuditView", () => {
  it("shows the newest events with time, actor, action, subject and details", async () => {
    render(AuditView, { campaignId: null });
    const table = await screen.findByRole("table");
    const rows = within(table).getAllByRole("row");
    expect(rows).toHaveLength(51); // the header and one page
    const [header, newest] = rows as [HTMLElement, HTMLElement];
    const headers = within(header).getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers).toEqual(["#", "Time", "Actor", "Action", "Subject", "Details"]);
    const first = within(newest).getAllByRole("cell").map((c) => c.textContent?.trim());
    expect(first[0]).toBe("120");
    expect(first[1]).toContain(new Date("2026-03-31T09:00:00.000Z").toLocaleTimeString(undefined, { timeStyle: "medium" }));
    expect(first[2]).toBe("recert@linux");
    expect(first[3]).toBe("Decision recorded");
    expect(first[4]).toBe("Campaign q1");
    expect(first[5]).toContain("why: still on call");
    expect(backend.auditLog).toHaveBeenCalledWith({ campaignId: null, actor: null, kind: null, search: null, offset: 0, limit: 50 });
  });

  it("states that the chain is intact with its head, or where it breaks", async () => {
    render(AuditView, { campaignId: null });
    const status = await screen.findByRole("status");
    await waitFor(() => expect(status.textContent).toContain("Chain intact up to event 120"));
    expect(status.textContent).toContain("head hash 9f86d081884c7d65…");
    expect(status.dataset.intact).toBe("true");
    cleanup();

    backend.auditChain.mockResolvedValue({ intact: false, seq: 7, headHash: null, problem: "does not chain to the event before it" });
    render(AuditView, { campaignId: null });
    const broken = await screen.findByRole("status");
    await waitFor(() => expect(broken.textContent).toContain("Chain broken at event 7: does not chain to the event before it"));
    expect(broken.dataset.intact).toBe("false");
    await fireEvent.click(screen.getByRole("button", { name: "Verify again" }));
    expect(backend.auditChain).toHaveBeenCalledTimes(3);
  });

  it("pages to older and newer events", async () => {
    render(AuditView, { campaignId: null });
    await screen.findByRole("table");
    expect(screen.getByText("1–50 of 120 events")).toBeTruthy();
    const newer = screen.getByRole("button", { name: "← Newer" }) as HTMLButtonElement;
    expect(newer.disabled).toBe(true);
    await fireEvent.click(screen.getByRole("button", { name: "Older →" }));
    await screen.findByText("51–100 of 120 events");
    await fireEvent.click(screen.getByRole("button", { name: "Older →" }));
    await screen.findByText("101–120 of 120 events");
    expect((screen.getByRole("button", { name: "Older →" }) as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByRole("button", { name: "← Newer" }));
    await screen.findByText("51–100 of 120 events");
    expect(backend.auditLog).toHaveBeenLastCalledWith(expect.objectContaining({ offset: 50 }));
  });

  it("filters by action at once and by typed text after a pause, from the first page", async () => {
    render(AuditView, { campaignId: null });
    await screen.findByRole("table");
    await fireEvent.click(screen.getByRole("button", { name: "Older →" }));
    await screen.findByText("51–100 of 120 events");

    const action = screen.getByLabelText("Action") as HTMLSelectElement;
    expect([...action.options].map((o) => o.textContent)).toEqual(["All actions", "Campaign opened", "Decision recorded"]);
    await fireEvent.change(action, { target: { value: "campaign.opened" } });
    await waitFor(() => expect(backend.auditLog).toHaveBeenLastCalledWith(expect.objectContaining({ kind: "campaign.opened", offset: 0 })));

    const calls = backend.auditLog.mock.calls.length;
    await fireEvent.input(screen.getByLabelText("Search the audit log"), { target: { value: "on call" } });
    await fireEvent.input(screen.getByLabelText("Actor"), { target: { value: "adele@contoso.com" } });
    expect(backend.auditLog.mock.calls.length).toBe(calls); // nothing sent mid-typing
    await vi.advanceTimersByTimeAsync(300);
    await waitFor(() =>
      expect(backend.auditLog).toHaveBeenLastCalledWith(
        expect.objectContaining({ kind: "campaign.opened", search: "on call", actor: "adele@contoso.com", offset: 0 }),
      ),
    );
    expect(backend.auditLog.mock.calls.length).toBe(calls + 1); // one query for both fields

    await fireEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(backend.auditLog).toHaveBeenLastCalledWith(expect.objectContaining({ kind: null, search: null, actor: null })));
  });

  it("opened from a campaign, shows only its events until that filter is removed", async () => {
    render(AuditView, { campaignId: "q1" });
    await screen.findByRole("table");
    expect(backend.auditLog).toHaveBeenCalledWith(expect.objectContaining({ campaignId: "q1" }));
    await waitFor(() => expect(screen.getByText(/Campaign: Quarterly Q1/)).toBeTruthy());
    expect(screen.getByRole("navigation", { name: "Breadcrumb" }).textContent).toContain("Quarterly Q1");
    await fireEvent.click(screen.getByRole("button", { name: "Show every campaign's events" }));
    await waitFor(() => expect(backend.auditLog).toHaveBeenLastCalledWith(expect.objectContaining({ campaignId: null })));
  });

  it("says so when nothing matches, and shows a backend error by its code", async () => {
    backend.auditLog.mockResolvedValue({ events: [], total: 0, offset: 0 });
    render(AuditView, { campaignId: null });
    await screen.findByText("No events yet");
    cleanup();

    backend.auditLog.mockRejectedValue({ code: "storage", message: "database is locked", fields: [] });
    render(AuditView, { campaignId: null });
    const alert = await screen.findByRole("alert");
    expect(alert.dataset.code).toBe("storage");
    expect(alert.textContent).toContain("database is locked");
  });

  it("shows names beside ids: the subject's, and the review item's", async () => {
    backend.auditLog.mockResolvedValue({
      events: [event(1, { kind: "remediation.confirmed", details: JSON.stringify({ item: 7 }), subjectName: "Quarterly Q1", itemName: "Megan Bowen (megan@contoso.com) · Global Administrator" })],
      total: 1, offset: 0,
    });
    render(AuditView, {});
    const row = await screen.findByText("Megan Bowen (megan@contoso.com) · Global Administrator");
    expect(row).toBeTruthy();
    expect(document.querySelector('#audit-table tr[data-seq="1"] .subject-name')?.textContent).toBe("Quarterly Q1");
    expect(document.querySelector('#audit-table tr[data-seq="1"] .subject-id')?.textContent).toBe("q1");
  });
});
