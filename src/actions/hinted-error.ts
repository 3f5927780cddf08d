/** A builtin failed for a reason the operator can fix: the executor prints `hint` under the message. */
export class HintedError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}
