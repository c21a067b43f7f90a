// oidc-provider ships no types; the test uses its constructor and callback only.
declare module 'oidc-provider';
