// What each backend error code means to the person at the window, and what they can do about it.
import type { AppError, ErrorCode } from "../ipc";

export interface Explained {
  title: string;
  hint: string;
}

const EXPLAINED: Record<ErrorCode, Explained> = {
  tenantNotFound: { title: "Tenant not connected", hint: "Connect the tenant again, or wait for the demo tenant to start." },
  notPulled: { title: "Tenant not pulled yet", hint: "Pull the tenant's population (Population → Pull again), then retry." },
  signInFailed: { title: "Sign-in failed or expired", hint: "Sign in again and retry." },
  permissionDenied: { title: "Permission missing", hint: "The signed-in identity lacks a Graph permission or directory role for this." },
  unreachable: { title: "Service unreachable", hint: "Check the network connection; Recert retried and gave up." },
  notLicensed: { title: "Licence missing", hint: "PIM needs Microsoft Entra ID P2 or ID Governance on the tenant." },
  cancelled: { title: "Cancelled", hint: "The operation was stopped before it finished; nothing was stored." },
  badResponse: { title: "Unexpected answer from the service", hint: "Retry; if it persists, the service changed or is failing." },
  storage: { title: "Local database problem", hint: "The local database failed. Restart Recert; your recorded decisions are kept." },
  export: { title: "Export failed", hint: "Check that the folder is writable and has space." },
  invalid: { title: "Check your input", hint: "Correct the highlighted fields and try again." },
  notFound: { title: "Not found", hint: "It may have been removed, or the view is out of date: refresh it." },
  conflict: { title: "Not possible in this state", hint: "The campaign changed state (for example it closed). Refresh and check." },
  forbidden: { title: "Not allowed for this identity", hint: "Act as the item's reviewer, or a governance admin, and retry." },
  updateNotInstalled: { title: "Nothing was changed", hint: "The version you have is still installed. If the signature did not match, tell whoever publishes Recert's releases here." },
  gapNotAccepted: { title: "Part of the scope could not be read", hint: "Narrow the campaign's scope, or have a governance admin accept the gap with a reason." },
  internal: { title: "Recert failed", hint: "Nothing was changed. This is a fault in Recert, not in what you entered: restart it, and report the message above if it happens again." },
  freshSignInRequired: { title: "Sign in again to sign off", hint: "A sign-off needs a sign-in of the last five minutes (on the demo tenant, the demo sign-in): sign in, then sign off." },
};

/** An `invalid` refusal that names no field is no form error: its message says what failed. */
const NOT_A_FIELD: Explained = { title: "Not done", hint: "Nothing was changed: the message above says what failed and what to do instead." };

export function explain(error: Pick<AppError, "code"> & { fields?: AppError["fields"] }): Explained {
  if (error.code === "invalid" && !(error.fields && error.fields.length > 0)) return NOT_A_FIELD;
  return EXPLAINED[error.code] ?? { title: "Something went wrong", hint: "Retry the action." };
}

/** Per-field messages of an `invalid` error, by field path (e.g. `schedule.durationDays`). */
export function fieldMessages(error: AppError | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of error?.fields ?? []) {
    out[f.field] = out[f.field] ? `${out[f.field]}; ${f.message}` : f.message;
  }
  return out;
}
