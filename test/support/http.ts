/**
 * A JSON call to a test server: the status and the parsed body (asserted field by field by the
 * caller). With a token it sends `Authorization: Bearer <token>`.
 */
export async function callJson(
  baseUrl: string,
  method: string,
  url: string,
  body?: unknown,
  token?: string | null,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}
