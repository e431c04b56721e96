// The evidence screen against a fake backend: the latest export's files with their paths, a copy
// saved to a chosen folder (as it is or as one zip), a folder that is not there highlighted as the
// field it is, and a failure that is no field error said as what failed.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CampaignEvidenceDto } from "../../ipc";

const backend = vi.hoisted(() => ({
  campaignEvidence: vi.fn(),
  campaign: vi.fn(),
  evidenceSaveCopy: vi.fn(),
  evidenceOpenFolder: vi.fn(),
  evidenceVerify: vi.fn(),
}));

vi.mock("../../ipc", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../ipc")>();
  return { ...real, ipc: backend };
});

import EvidenceView from "./EvidenceView.svelte";

const evidence: CampaignEvidenceDto = {
  folder: "/data/evidence/q1",
  present: true,
  exports: [{
    generatedAt: "2026-04-01T10:00:00Z", actor: "adele@contoso.com", evidenceHash: "ab".repeat(32), auditHead: "cd".repeat(32), signed: true,
    files: [{ name: "binder.pdf", path: "/data/evidence/q1/binder.pdf", sha256: "ef".repeat(32) }],
  }],
};

beforeEach(() => {
  backend.campaignEvidence.mockResolvedValue(evidence);
  backend.campaign.mockResolvedValue({ campaign: { name: "Quarterly Q1" } });
});

afterEach(() => {
  cleanup();
  vi.clearAllMocks();
});

describe("EvidenceView", () => {
  it("lists the exported files and saves a copy as one zip into the folder typed", async () => {
    backend.evidenceSaveCopy.mockResolvedValue({ path: "/srv/audit/q1-evidence.zip", files: 5 });
    render(EvidenceView, { id: "q1" });
    expect((await screen.findAllByText("binder.pdf")).length).toBeGreaterThan(0);
    expect(document.querySelector("#evidence-files li[data-name=\"binder.pdf\"]")).toBeTruthy();
    expect(screen.getByText("/data/evidence/q1")).toBeTruthy();
    await fireEvent.input(screen.getByLabelText("Into the folder"), { target: { value: " /srv/audit " } });
    await fireEvent.click(screen.getByRole("button", { name: "Save as one zip" }));
    await waitFor(() => expect(backend.evidenceSaveCopy).toHaveBeenCalledWith("q1", "/srv/audit", true));
    expect(await screen.findByText("/srv/audit/q1-evidence.zip")).toBeTruthy();
  });

  it("highlights a folder that is not there, and says what failed otherwise", async () => {
    backend.evidenceSaveCopy.mockRejectedValueOnce({ code: "invalid", message: "/nope is no folder on this computer", fields: [{ field: "folder", message: "/nope is no folder on this computer" }] });
    render(EvidenceView, { id: "q1" });
    await fireEvent.input(await screen.findByLabelText("Into the folder"), { target: { value: "/nope" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save as…" }));
    expect(await screen.findByText("/nope is no folder on this computer")).toBeTruthy();
    expect(screen.getByLabelText("Into the folder").getAttribute("aria-invalid")).toBe("true");

    backend.evidenceOpenFolder.mockRejectedValueOnce({ code: "invalid", message: "no file manager is installed: copy the path /data/evidence/q1 instead", fields: [] });
    await fireEvent.click(screen.getByRole("button", { name: "Open folder" }));
    expect(await screen.findByText(/no file manager is installed/)).toBeTruthy();
    expect(document.body.textContent).not.toMatch(/highlighted/);
  });
});
