// Submission over SMTP with nodemailer. The user's own credentials authenticate
// (submission on 587), unless the URL says ?auth=none (an MTA that trusts us, e.g. on loopback).
import nodemailer from 'nodemailer';
import { SubmissionError, type OutgoingMessage, type Submission } from '../../src/ports/submission.js';

export interface SmtpEndpoint {
  url: URL;
}

export function smtpSubmission(endpoint: SmtpEndpoint, user: string, password: string): Submission {
  const u = endpoint.url;
  const secure = u.protocol === 'smtps:';
  const auth = u.searchParams.get('auth') === 'none' ? undefined : { user, pass: password };
  return {
    async send(message: OutgoingMessage) {
      const transport = nodemailer.createTransport({
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: Number(u.port) || (secure ? 465 : 587),
        secure,
        auth,
        tls: u.searchParams.get('tls') === 'insecure' ? { rejectUnauthorized: false } : undefined,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 60_000,
      });
      try {
        const info = await transport.sendMail({ envelope: { from: message.from, to: message.to }, raw: message.raw });
        return { accepted: (info.accepted ?? []).map(String), rejected: (info.rejected ?? []).map(String) };
      } catch (e) {
        const err = e as { code?: string; responseCode?: number; message?: string };
        const reachable = !['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNREFUSED', 'EDNS'].includes(err.code ?? '');
        throw new SubmissionError(
          reachable ? `The mail server refused the message: ${err.message ?? 'unknown error'}` : `The mail server at ${u.host} cannot be reached.`,
          reachable,
        );
      } finally {
        transport.close();
      }
    },
  };
}
