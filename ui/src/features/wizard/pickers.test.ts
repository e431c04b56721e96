// The wizard's people picker and routing preview against a fake backend: people suggested by part
// of a name (one found only in the tenant says it needs a pull before it can be named), and the
// routing preview's fallback warning above 10% and the critical roles left if nobody answers.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { DefinitionPreviewDto, ReviewerDto } from "../../ipc";
import { session } from "../../lib/session.svelte";

const backend = vi.hoisted(() => ({ searchPeople: vi.fn(), definitionPreview: vi.fn(), findPerson: vi.fn() }));

vi.mock("../../ipc", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../ipc")>();
  return { ...real, ipc: backend };
});

import ReviewerList from "./ReviewerList.svelte";
import RoutingPreview from "./RoutingPreview.svelte";
import { defaultForm, toDefinition } from "./form";

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  session.tenant = { id: "t", name: "Contoso", isDemo: true } as typeof session.tenant;
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.clearAllMocks();
  session.tenant = null;
});

describe("ReviewerList", () => {
  it("suggests people as a name is typed and adds the one picked", async () => {
    backend.searchPeople.mockResolvedValue([
      { id: "u1", upn: "megan@contoso.com", displayName: "Megan Bowen", mail: "megan.bowen@contoso.com", inDirectory: true },
      { id: "u2", upn: "meg.new@contoso.com", displayName: "Meg New", mail: null, inDirectory: false },
    ]);
    const reviewers: ReviewerDto[] = [];
    render(ReviewerList, { reviewers, id: "f-r", label: "Fallback reviewers" });
    await fireEvent.input(screen.getByLabelText("Fallback reviewers: name, UPN or mail to add"), { target: { value: "meg" } });
    await vi.advanceTimersByTimeAsync(300);
    await waitFor(() => expect(backend.searchPeople).toHaveBeenCalledWith("t", "meg"));
    expect(await screen.findByText("in the tenant, not in the last pull")).toBeTruthy();
    await fireEvent.click(screen.getByText("Meg New").closest("button")!);
    expect(screen.getByRole("alert").textContent).toMatch(/pull the tenant again/);
    await fireEvent.click(screen.getByText("Megan Bowen").closest("button")!);
    expect(document.querySelector('.chip[data-upn="megan@contoso.com"]')).toBeTruthy();
  });
});

describe("RoutingPreview", () => {
  it("warns when fallback reviewers take more than a tenth and shows the critical roles left", async () => {
    const preview: DefinitionPreviewDto = {
      pulledAt: "2026-03-31T09:00:00Z", items: 100, reviewers: [{ upn: "lead@c", displayName: "Lead", items: 30, fallback: true }],
      reviewerCount: 9, fallbackItems: 30, fallbackShare: 0.3, noManager: ["Anna"], noManagerCount: 1, unrouted: 0,
      removesOnNoResponse: true, critical: [{ roleName: "Global Administrator", minimum: 2, holders: 3, removable: 2, left: 1 }],
    };
    backend.definitionPreview.mockResolvedValue(preview);
    render(RoutingPreview, { definition: toDefinition(defaultForm(new Date("2026-03-31T09:00:00Z"), "UTC"), "t"), valid: true });
    await vi.advanceTimersByTimeAsync(500);
    expect((await screen.findByText(/more than 10%/)).textContent).toContain("30 (30%)");
    expect(screen.getByText("1 < 2: held")).toBeTruthy();
    expect(screen.getByText(/1 holder has no manager/)).toBeTruthy();
  });
});
