import { createRequire } from 'node:module';
import type * as ClassValidator from 'class-validator';

// class-validator's index loads every decorator it has, IsPhoneNumber with libphonenumber-js among them: 10 MB of
// RSS at boot (measured), none of which mocra uses. Its CommonJS build keeps one decorator to a file, so the ones
// mocra uses come from there. The metadata storage is global, so they mix with anything the host app imports from
// the index. A class-validator release that moves these files fails here, at import, naming the file.
const require = createRequire(import.meta.url);

type Package = typeof ClassValidator;

function load<K extends keyof Package>(file: string, name: K): Package[K] {
  const path = `class-validator/cjs/${file}.js`;
  const value = (require(path) as Partial<Package>)[name];
  if (value === undefined)
    throw new Error(`${path} does not export ${name}: class-validator changed its layout`);
  return value as Package[K];
}

export type { ValidationError, ValidatorOptions } from 'class-validator';

export const ValidateBy = load('decorator/common/ValidateBy', 'ValidateBy');
export const ValidateIf = load('decorator/common/ValidateIf', 'ValidateIf');
export const ValidateNested = load('decorator/common/ValidateNested', 'ValidateNested');
export const IsOptional = load('decorator/common/IsOptional', 'IsOptional');
export const IsIn = load('decorator/common/IsIn', 'IsIn');
export const IsArray = load('decorator/typechecker/IsArray', 'IsArray');
export const IsBoolean = load('decorator/typechecker/IsBoolean', 'IsBoolean');
export const IsInt = load('decorator/typechecker/IsInt', 'IsInt');
export const IsNumber = load('decorator/typechecker/IsNumber', 'IsNumber');
export const IsString = load('decorator/typechecker/IsString', 'IsString');
export const Length = load('decorator/string/Length', 'Length');
export const Matches = load('decorator/string/Matches', 'Matches');
export const Min = load('decorator/number/Min', 'Min');
export const Max = load('decorator/number/Max', 'Max');
export const ArrayMaxSize = load('decorator/array/ArrayMaxSize', 'ArrayMaxSize');

const Validator = load('validation/Validator', 'Validator');
const getFromContainer = load('container', 'getFromContainer');

/** class-validator's validateSync (the index's is this same call). */
export function validateSync(
  object: object,
  options?: ClassValidator.ValidatorOptions,
): ClassValidator.ValidationError[] {
  return getFromContainer(Validator).validateSync(object, options);
}

/** What Nest's ValidationPipe needs from class-validator, so that it does not import the whole package. */
export const classValidatorPackage = {
  validate: (
    object: unknown,
    options?: ClassValidator.ValidatorOptions,
  ): Promise<ClassValidator.ValidationError[]> =>
    getFromContainer(Validator).validate(object as object, options),
};
