import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  ProposalDroppedError,
  RaftNodeStoppedError,
  RaftTimeoutError,
  ReadIndexLostError,
} from '@mocra/raft/errors';

/**
 * A request that needed the Raft log while the cluster had no reachable leader (an election after a leader died,
 * a lost quorum) answers 503 with the reason, not 500: the caller may retry once a leader is elected. For a
 * timed-out write the outcome is unknown, which the message says.
 */
@Catch(RaftTimeoutError, ProposalDroppedError, ReadIndexLostError, RaftNodeStoppedError)
export class RaftUnavailableFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: Error, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const ctx = host.switchToHttp();
    const unknownOutcome = error instanceof RaftTimeoutError;
    httpAdapter.reply(
      ctx.getResponse(),
      {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'Service Unavailable',
        message:
          `cluster coordination unavailable: ${error.message}` +
          (unknownOutcome ? ' (the change may still be applied; check before retrying)' : '; retry'),
      },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}
