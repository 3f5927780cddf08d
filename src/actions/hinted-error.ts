/** A builtin failed for a reason the operator can fix: the executor prints `hint` under the message. */
export class HintedError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    /** Every cause was transient (the API server blinked): the action is worth retrying. */
    readonly transient = false,
  ) {
    super(message);
  }
}
