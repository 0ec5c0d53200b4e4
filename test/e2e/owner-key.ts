let ownerKey: string | undefined;

/** The key the e2e HTTP helpers send: the stack's owner's, set by startStack. */
export const useKey = (key: string) => {
  ownerKey = key;
};

/** The Authorization header of the stack's owner, once a stack has started. */
export const authorization = (): Record<string, string> =>
  ownerKey ? { authorization: `Bearer ${ownerKey}` } : {};
