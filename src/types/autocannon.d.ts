// autocannon ships no types; src/actions/load.ts declares the small part it uses.
declare module 'autocannon';
