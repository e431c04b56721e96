// Ambient types: Svelte components and Vite's asset imports (CSS, images).
/// <reference types="svelte" />
/// <reference types="vite/client" />
