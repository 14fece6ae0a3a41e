import {
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  ErrorCode,
  InvalidArgumentError,
  RelayError,
  ROUTE_NOT_FOUND,
  unexpectedFailure,
} from './relay-error.js';

/** Errors raised by body-parser before a route runs carry these fields. */
interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  message?: string;
}

/**
 * One filter, one envelope (house style 6, spec §7): whatever is thrown ends
 * as `{"errors":[{"type":"fatal","code","message"}]}`. Relay failures answer
 * HTTP 200 because Threat Response reads the envelope, not the status; an
 * unknown route is a 404 so that probes and scanners see the truth.
 */
@Catch()
export class RelayExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('RelayExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    if (response.headersSent) return;

    const passthrough = this.operationalHttpException(exception);
    if (passthrough) {
      response.status(passthrough.getStatus()).json(passthrough.getResponse());
      return;
    }

    const { status, error } = this.toRelayError(exception, request);
    response.status(status).json({ errors: [error.toItem()] });
  }

  /**
   * Operational routes (probes) report through HTTP status codes that
   * Kubernetes reads; their exceptions keep their own status and body.
   */
  private operationalHttpException(exception: unknown): HttpException | undefined {
    if (!(exception instanceof HttpException)) return undefined;
    const body = exception.getResponse();
    const isOperational =
      typeof body === 'object' && body !== null && 'status' in body && 'info' in body;
    return isOperational ? exception : undefined;
  }

  private toRelayError(
    exception: unknown,
    request: Request,
  ): { status: number; error: RelayError } {
    if (exception instanceof RelayError) return { status: HttpStatus.OK, error: exception };

    // A path that does not decode (`/%E0%A4%A`) names no route either; Nest
    // reports it as a 400 caused by the router's URIError. Spec §15: the
    // answer never echoes the path.
    if (
      exception instanceof NotFoundException ||
      (exception instanceof HttpException && exception.cause instanceof URIError)
    ) {
      return {
        status: HttpStatus.NOT_FOUND,
        error: new RelayError(ErrorCode.NOT_FOUND, ROUTE_NOT_FOUND),
      };
    }

    const parserError = this.bodyParserError(exception);
    if (parserError) return { status: HttpStatus.OK, error: parserError };

    if (exception instanceof HttpException && exception.getStatus() === 429) {
      return {
        status: HttpStatus.TOO_MANY_REQUESTS,
        error: new RelayError(
          ErrorCode.TOO_MANY_REQUESTS,
          'Too many requests. Please try again later.',
        ),
      };
    }

    // Anything else is a bug or an unforeseen failure: log it once, with the
    // request id, and answer a generic message (no stack, no internals).
    this.logger.error(
      {
        err:
          exception instanceof Error
            ? { name: exception.name, message: exception.message }
            : undefined,
        requestId: (request as { id?: unknown }).id,
      },
      'Unexpected exception',
    );
    return {
      status: HttpStatus.OK,
      error: unexpectedFailure(),
    };
  }

  /** body-parser errors (malformed JSON, too large, bad charset) are caller errors. */
  private bodyParserError(exception: unknown): RelayError | undefined {
    const candidate =
      exception instanceof HttpException ? (exception.cause ?? exception) : exception;
    const error = candidate as BodyParserError;
    if (typeof error !== 'object' || error === null) return undefined;
    switch (error.type) {
      case 'entity.parse.failed':
        return new InvalidArgumentError('The request body is not valid JSON.');
      case 'entity.too.large':
        return new InvalidArgumentError('The request body is too large.');
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return new InvalidArgumentError('The request body encoding is not supported.');
      default:
        // body-parser marks its other caller errors (a gzip body that does not
        // inflate, an aborted upload) as exposable 4xx http-errors, with no type.
        return error.expose === true && typeof error.status === 'number' && error.status < 500
          ? new InvalidArgumentError('The request body could not be read.')
          : undefined;
    }
  }
}
