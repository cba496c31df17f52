import {
  ArgumentsHost,
  BadRequestException,
  Catch,
  ExceptionFilter,
  HttpException,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { BackfillRangeError, BackfillRequestError, IllegalTransitionError } from '@tributary/domain';
import { Observable, throwError } from 'rxjs';
import { NotFoundError } from '@tributary/coordinator';

/** The one 400 for invalid input: every field at fault with what is wrong with it. */
export function validationFailed(fields: Record<string, string[]>): BadRequestException {
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    code: 'validation_failed',
    message: 'the request is invalid; fix the fields listed',
    fields,
  });
}

/** Bodies and queries are validated: unknown fields and bad values are a 400 that lists every field. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors: ValidationError[]) =>
      validationFailed(
        Object.fromEntries(
          errors.map((e) => [
            e.property,
            Object.values(e.constraints ?? { invalid: `${e.property} is invalid` }),
          ]),
        ),
      ),
  });
}

/** Domain errors as HTTP: unknown things are 404, illegal transitions 409; everything is JSON with a code. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    // Global filters also see message handlers' errors: hand those back to the transport untouched.
    if (host.getType() !== 'http') return throwError(() => exception);
    const response = host
      .switchToHttp()
      .getResponse<{ status(code: number): { json(body: unknown): void } }>();
    const request = host.switchToHttp().getRequest<{ rawBody?: unknown; body?: unknown }>();
    if (exception instanceof HttpException && isUnparsableJsonBody(exception, request)) {
      response.status(400).json(
        validationFailed({
          body: [`body must be a JSON object; the JSON parser refused it: ${exception.message}`],
        }).getResponse(),
      );
    } else if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const json = typeof body === 'string' ? { statusCode: status, message: body } : (body as object);
      // Nest's own errors (an unknown route, a refused JSON body) carry no code: every answer has one.
      response.status(status).json({ code: STATUS_CODES[status] ?? `http_${status}`, ...json });
    } else if (exception instanceof NotFoundError) {
      response.status(404).json({ statusCode: 404, code: 'not_found', message: exception.message });
    } else if (exception instanceof IllegalTransitionError) {
      response.status(409).json({ statusCode: 409, code: 'illegal_transition', message: exception.message });
    } else if (exception instanceof BackfillRangeError) {
      response
        .status(400)
        .json({ statusCode: 400, code: 'backfill_outside_window', message: exception.message });
    } else if (exception instanceof BackfillRequestError && exception.fields) {
      response.status(400).json(validationFailed(exception.fields).getResponse());
    } else if (exception instanceof BackfillRequestError) {
      const { status, code, message, fields } = exception;
      response.status(status).json({ statusCode: status, code, message, ...(fields ? { fields } : {}) });
    } else {
      response.status(500).json({
        statusCode: 500,
        code: 'internal',
        message: (exception as Error)?.message ?? 'internal error',
      });
    }
  }
}

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * The JSON parser refused the body (Nest turns its SyntaxError into a bare 400). With
 * `rawBody: true` the bytes were kept but no body was set: say which field is wrong, as the
 * validation pipe does, instead of echoing the parser.
 */
function isUnparsableJsonBody(
  exception: HttpException,
  request: { rawBody?: unknown; body?: unknown },
): boolean {
  return exception.getStatus() === 400 && Buffer.isBuffer(request.rawBody) && request.body === undefined;
}
