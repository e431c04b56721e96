// The update offer against a fake backend: shown only for a release found, installed only when
// asked, a refused package explained while the offer stays.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { UpdateStatusDto } from "../../ipc";

const backend = vi.hoisted(() => ({
  updateStatus: vi.fn(),
  updateInstall: vi.fn(),
}));

vi.mock("../../ipc", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../ipc")>();
  return { ...real, ipc: backend };
});

import UpdateBanner from "./UpdateBanner.svelte";

const available: UpdateStatusDto = {
  state: "available",
  version: "0.2.0",
  current: "0.1.0",
  notes: "Faster worklists.",
  date: null,
};

afterEach(() => {
  cleanup();
  vi.clearAllMocks();
});

describe("UpdateBanner", () => {
  it("shows nothing when there is no release to offer", async () => {
    for (const status of [
      { state: "off", reason: "switched off by policy" },
      { state: "current", version: "0.1.0", lastCheck: null },
      { state: "failed", message: "the update check failed" },
    ] as UpdateStatusDto[]) {
      backend.updateStatus.mockResolvedValue(status);
      const { container } = render(UpdateBanner);
      await waitFor(() => expect(backend.updateStatus).toHaveBeenCalled());
      expect(container.querySelector("#update-banner")).toBeNull();
      cleanup();
    }
  });

  it("offers the release with its notes and installs only when asked", async () => {
    backend.updateStatus.mockResolvedValue(available);
    backend.updateInstall.mockResolvedValue(undefined);
    render(UpdateBanner);
    expect(await screen.findByText("Recert 0.2.0 is available")).toBeTruthy();
    expect(screen.getByText("Faster worklists.")).toBeTruthy();
    expect(backend.updateInstall).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByText("Install and restart"));
    expect(backend.updateInstall).toHaveBeenCalledTimes(1);
  });

  it("explains a refused package and keeps the offer", async () => {
    backend.updateStatus.mockResolvedValue(available);
    backend.updateInstall.mockRejectedValue({
      code: "updateNotInstalled",
      message: "the downloaded Recert 0.2.0 does not carry a valid signature; it was not installed",
    });
    render(UpdateBanner);
    await fireEvent.click(await screen.findByText("Install and restart"));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("valid signature");
    expect(alert.textContent).toContain("Nothing was changed");
    expect(screen.getByText("Install and restart")).toBeTruthy();
  });

  it("puts the offer off with Later", async () => {
    backend.updateStatus.mockResolvedValue(available);
    const { container } = render(UpdateBanner);
    await fireEvent.click(await screen.findByText("Later"));
    expect(container.querySelector("#update-banner")).toBeNull();
  });
});
