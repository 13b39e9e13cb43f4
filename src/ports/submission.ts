// The contract for handing a finished message to the MTA.

export interface OutgoingMessage {
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** Envelope recipients (RCPT TO): To, Cc and Bcc. */
  to: string[];
  /** The RFC 822 message as it is to be delivered (no Bcc header). */
  raw: Buffer;
}

export interface Submission {
  send(message: OutgoingMessage): Promise<{ accepted: string[]; rejected: string[] }>;
}

/** The MTA could not be reached or refused the message as a whole. */
export class SubmissionError extends Error {
  constructor(
    message: string,
    readonly reachable: boolean,
  ) {
    super(message);
    this.name = 'SubmissionError';
  }
}
