// Shell-style globs (`*` any run, `?` one character) as anchored regular expressions; used for
// interface names and for OpenSSH host patterns.
export function globToRegExp(pattern: string, flags = ''): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, flags);
}
