/**
 * Compile-time checks that a schema parses to exactly the domain's type: `Same<A, B>` is true only when
 * each is assignable to the other, and `Assert` fails to compile on anything but true.
 */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Assert<T extends true> = T;
