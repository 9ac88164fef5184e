export * from "./mime";
export * from "./ops";
