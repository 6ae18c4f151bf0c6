/** The answer to a request the front end cannot read (or not in time): a JSON error, then the close. */
import { ErrorCode, GatewayError } from '../../../shared/errors.ts';

const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  505: 'HTTP Version Not Supported',
};

/** The whole answer as latin1 text: status line, headers (`connection: close`) and a JSON body. */
export function refusal(status: 400 | 408 | 431 | 505, reason: string, date: string): string {
  const phrase = REASON_PHRASES[status] as string;
  const body = JSON.stringify(
    new GatewayError(ErrorCode.BadRequest, `${phrase}: ${reason}`, status).toBody(),
  );
  return (
    `HTTP/1.1 ${status} ${phrase}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n` +
    `date: ${date}\r\nconnection: close\r\n\r\n${body}`
  );
}
