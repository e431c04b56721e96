// The colour theme: follow the system, or force light or dark; remembered on this machine.
export type Theme = "system" | "light" | "dark";

const KEY = "recert.theme";

export function loadTheme(storage: Pick<Storage, "getItem"> = localStorage): Theme {
  const value = storage.getItem(KEY);
  return value === "light" || value === "dark" ? value : "system";
}

export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === "system") delete root.dataset.theme;
  else root.dataset.theme = theme;
}

export function saveTheme(theme: Theme, storage: Pick<Storage, "setItem"> = localStorage): void {
  storage.setItem(KEY, theme);
  applyTheme(theme);
}
