// The generated fetch client names the Fetch standard's `BodyInit`, which is global in the DOM library
// but only exported by undici-types (Node's fetch) under @types/node 20.
type BodyInit = import('undici-types').BodyInit;
