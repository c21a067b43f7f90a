// This browser's (or desktop window's) look: colour scheme and language, each defaulting to the system.
import {
  type MantineColorScheme,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Text,
  Title,
  useMantineColorScheme,
} from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { chooseLanguage, LANGUAGES, type LanguageChoice, languageChoice, systemLanguage } from '../i18n';

export function Appearance() {
  const { t } = useTranslation(['settings', 'common']);
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const [language, setLanguage] = useState<LanguageChoice>(languageChoice);
  const systemName = LANGUAGES.find((l) => l.code === systemLanguage())?.name ?? '';
  return (
    <Stack gap="sm" mb="lg">
      <Title order={2} size="h3">
        {t('appearance.title')}
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 2 }} maw={720}>
        <Stack gap={4}>
          <Text component="label" id="scheme-label" size="sm" fw={500}>
            {t('appearance.scheme')}
          </Text>
          <SegmentedControl
            aria-labelledby="scheme-label"
            value={colorScheme}
            onChange={(value) => setColorScheme(value as MantineColorScheme)}
            data={[
              { value: 'auto', label: t('common:scheme.auto') },
              { value: 'light', label: t('common:scheme.light') },
              { value: 'dark', label: t('common:scheme.dark') },
            ]}
          />
        </Stack>
        <Select
          label={t('appearance.language')}
          value={language}
          allowDeselect={false}
          onChange={(value) => {
            if (!value) return;
            setLanguage(value as LanguageChoice);
            void chooseLanguage(value as LanguageChoice);
          }}
          data={[
            { value: 'system', label: t('appearance.systemLanguage', { language: systemName }) },
            ...LANGUAGES.map((l) => ({ value: l.code, label: l.name })),
          ]}
        />
      </SimpleGrid>
      <Text size="sm" c="dimmed">
        {t('appearance.hint')}
      </Text>
    </Stack>
  );
}
