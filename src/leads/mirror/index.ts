/**
 * The lead mirror: LeadMirror (one credential scope's leads, kept in memory and in the store, synced from
 * MOCO) and MirrorRegistry (one mirror per scope, for servers that serve several keys).
 */
export * from "./mirror.js";
export { MirrorRegistry } from "./registry.js";
