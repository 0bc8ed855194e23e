import { BadRequestException, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { classValidatorPackage } from '../common/class-validator.js';

/**
 * Validation of control-API bodies and queries, independent of any global pipe the host app sets: unknown fields
 * are rejected, and every message names its field. A body that is not a JSON object is rejected before
 * class-validator sees it (arrays and scalars would otherwise slip through as "no fields set").
 */
export class ControlValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validationError: { target: false, value: false },
      // Without it the pipe imports class-validator's index, and with it every decorator the package has.
      validatorPackage: classValidatorPackage,
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const where = metadata.type === 'body' ? 'request body' : 'query string';
      if (value === undefined || value === null) value = {};
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw new BadRequestException(`${where} must be a JSON object`);
      }
    }
    return super.transform(value, metadata);
  }
}
