import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { DialtoneError, ErrorCodes } from '../kernel/index.js';
import { type ConfigFlags, type DialtoneConfig, resolveConfig } from './config.js';

/** Reads the YAML file (when given) and resolves it with the environment and flags. */
export async function loadConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  flags: ConfigFlags,
): Promise<DialtoneConfig> {
  let document: unknown;
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new DialtoneError(ErrorCodes.configInvalid, `configuration file ${file}: cannot be read`, { file }, {
        cause: error,
      });
    }
    try {
      document = parseYaml(text);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new DialtoneError(ErrorCodes.configInvalid, `configuration file ${file}: not valid YAML: ${detail}`, {
        file,
      });
    }
  }
  return resolveConfig(document, env, flags);
}
